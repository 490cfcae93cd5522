package azinteractive_test

import (
	"context"
	"net/http"
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
)

// tokenRequestSignal is a pipeline policy that closes a channel when the
// first token request after arm() is sent.
type tokenRequestSignal struct {
	armed atomic.Bool
	sent  chan struct{}
}

func (s *tokenRequestSignal) Do(req *policy.Request) (*http.Response, error) {
	if strings.HasSuffix(req.Raw().URL.Path, "/token") && s.armed.CompareAndSwap(true, false) {
		close(s.sent)
	}
	return req.Next()
}

// Issue 14 §1: SignOut while a refresh is on the wire sticks. Afterwards no
// token of the user is served (not even the one the refresh brings back),
// the persistent cache holds nothing of theirs, and a new credential given
// their old record isn't silent.
func TestSignOutDuringRefreshSticks(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	dir := t.TempDir()
	c, err := cache.New(&cache.Options{Directory: dir, AllowUnencryptedStorage: true, RememberAccount: true})
	require.NoError(t, err)
	a := &approver{srv: srv}
	signal := &tokenRequestSignal{sent: make(chan struct{})}
	opts := clientOptions(srv)
	opts.PerCallPolicies = []policy.Policy{signal}
	newCred := func(rec azinteractive.AuthenticationRecord) *azinteractive.DeviceCodeCredential {
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: opts, UserPrompt: a.prompt, Cache: c, AuthenticationRecord: rec, DisableAutomaticAuthentication: true,
		})
		require.NoError(t, err)
		return cred
	}
	cred := newCred(azinteractive.AuthenticationRecord{})
	rec, err := cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)

	// A token for a new scope: MSAL redeems the refresh token, slowly.
	vault := []string{"https://vault.azure.net/.default"}
	srv.InjectFault(entratest.EndpointToken, 1, entratest.Fault{Delay: 1500 * time.Millisecond})
	signal.armed.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: vault})
		done <- err
	}()
	<-signal.sent
	require.NoError(t, cred.SignOut(t.Context()))
	inflight := <-done

	var required *azinteractive.AuthenticationRequiredError
	assert.ErrorAs(t, inflight, &required, "the call that began before SignOut gets no token of the signed-out user")
	for _, scopes := range [][]string{armScope, vault} {
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: scopes})
		assert.ErrorAs(t, err, &required, "after SignOut, %v needs a sign-in", scopes)
	}

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		assert.False(t, strings.Contains(string(b), rec.HomeAccountID), "%s still names the signed-out account", e.Name())
		for i, s := range srv.Secrets() {
			assert.False(t, strings.Contains(string(b), s), "%s still holds secret #%d of the signed-out user", e.Name(), i)
		}
	}

	_, err = newCred(rec).GetToken(t.Context(), policy.TokenRequestOptions{Scopes: vault})
	assert.ErrorAs(t, err, &required, "a new credential with the old record isn't silent")
	assert.EqualValues(t, 1, a.prompts.Load())
}
