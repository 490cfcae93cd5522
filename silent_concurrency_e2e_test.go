//go:build unix

package azinteractive_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Issue 22, point 1: a cached token is served without waiting for anything
// else — another scope's refresh, another process's redemption lock.

// holdingTransport holds the token requests for scopes containing hold
// until release is closed, telling held about each.
type holdingTransport struct {
	next    policy.Transporter
	hold    string
	held    chan struct{}
	release chan struct{}
	n       atomic.Int32
}

func (h *holdingTransport) Do(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		if form, err := url.ParseQuery(string(b)); err == nil && strings.Contains(form.Get("scope"), h.hold) {
			h.n.Add(1)
			select {
			case h.held <- struct{}{}:
			default:
			}
			select {
			case <-h.release:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
		}
	}
	return h.next.Do(r)
}

// signedInCache signs a user in over a persistent plaintext cache in dir
// and returns the record and a new credential's options over the same
// cache: a second process, as far as the credential can tell.
func signedInCache(t *testing.T, srv *entratest.Server, dir string) azinteractive.UsernamePasswordCredentialOptions {
	t.Helper()
	c, err := cache.New(&cache.Options{Directory: dir, AllowUnencryptedStorage: true})
	require.NoError(t, err)
	opts := azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv), Cache: c}
	cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
		entratest.DefaultUsername, entratest.DefaultPassword, &opts)
	require.NoError(t, err)
	rec, err := cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	opts.AuthenticationRecord = rec
	return opts
}

func TestCachedTokenIsServedWhileAnotherScopesRefreshHangs(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	opts := signedInCache(t, srv, t.TempDir())

	h := &holdingTransport{next: opts.ClientOptions.Transport, hold: "vault.azure.net", held: make(chan struct{}, 1), release: make(chan struct{})}
	opts.ClientOptions.Transport = h
	cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
		entratest.DefaultUsername, entratest.DefaultPassword, &opts)
	require.NoError(t, err)

	vault := make(chan error, 1)
	go func() {
		_, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
		vault <- err
	}()
	<-h.held // the vault token's refresh is under way, and hangs

	before := countRequests(srv, entratest.EndpointToken)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	tk, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err, "the cached token is served while another scope's refresh hangs")
	assert.NotEmpty(t, tk.Token)
	assert.Equal(t, before, countRequests(srv, entratest.EndpointToken), "served from the cache")

	close(h.release)
	require.NoError(t, <-vault)
	assert.EqualValues(t, 1, h.n.Load())
}

func TestCachedTokenIsServedWhileAnotherProcessHoldsTheRedeemLock(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	dir := t.TempDir()
	opts := signedInCache(t, srv, dir)

	// Another process holds the redemption lock and is stuck: its lock file
	// says it took it a minute ago.
	caches, err := filepath.Glob(filepath.Join(dir, "*.nocae"))
	require.NoError(t, err)
	require.Len(t, caches, 1)
	lock := strings.TrimSuffix(caches[0], ".nocae") + ".redeem.lockfile"
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB))
	long := time.Now().Add(-time.Minute)
	require.NoError(t, os.Chtimes(lock, long, long))

	cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
		entratest.DefaultUsername, entratest.DefaultPassword, &opts)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err, "a cached token needs no lock")

	// A token that needs the refresh token waits for a stuck holder only
	// until the lock is stale, then redeems without it.
	_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	require.NoError(t, err, "a stuck holder doesn't block a redemption")
}
