package azinteractive_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/internal/tokencache"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14, scenario 2: processes sharing one persistent cache refresh
// tokens at once, against refresh tokens that can be redeemed once
// (entratest's are single-use, like those of providers that rotate them
// strictly). Every process must get every token without a prompt.

// refreshChildEnv makes the test binary a refreshing child (see init).
const refreshChildEnv = "AZI_REFRESH_CHILD"

func init() {
	if os.Getenv(refreshChildEnv) == "1" {
		os.Exit(refreshChild())
	}
}

// refreshChild asks for AZI_CALLS tokens, each of which needs a refresh
// (entratest's access tokens expire too soon for MSAL to cache). So that the
// children contend, it prints "READY" once it has its credential and starts
// when its standard input ends: the parent closes every child's once all are
// ready. Then it prints one line, "RESULT <ok> <prompts> <errors>", the
// first error, if any, and the credential's log lines other than those of
// tokens acquired, which explain a failure.
func refreshChild() int {
	calls, _ := strconv.Atoi(os.Getenv("AZI_CALLS"))
	var (
		mu     sync.Mutex // guards logged: the cache's writer logs too
		logged []string
	)
	log.SetEvents(azinteractive.EventAuthentication)
	log.SetListener(func(_ log.Event, msg string) {
		if !strings.Contains(msg, "acquired a token") {
			mu.Lock()
			logged = append(logged, time.Now().Format("15:04:05.000")+" "+msg)
			mu.Unlock()
		}
	})
	cred, err := childCredential(os.Getenv("AZI_CERT"), os.Getenv("AZI_AUTHORITY"), os.Getenv("AZI_CACHE_DIR"), os.Getenv("AZI_PLAINTEXT") == "1", true,
		func(context.Context, azinteractive.DeviceCodeMessage) error { return nil })
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	fmt.Println("READY")
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	ok, prompts, errs := 0, 0, 0
	var first error
	for range calls {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
		cancel()
		var required *azinteractive.AuthenticationRequiredError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &required):
			prompts++
		default:
			errs++
		}
		if err != nil && first == nil {
			first = err
		}
	}
	fmt.Printf("RESULT %d %d %d\n", ok, prompts, errs)
	if first != nil {
		fmt.Println("FIRST", strings.ReplaceAll(first.Error(), "\n", " | "))
	}
	mu.Lock()
	defer mu.Unlock()
	for _, l := range logged {
		fmt.Println("LOG", strings.ReplaceAll(l, "\n", " | "))
	}
	return 0
}

// childCredential is a child process's device code credential over a
// persistent cache in dir that remembers the signed-in account, talking to
// the entratest at authority whose certificate is in the PEM file certFile.
// With silentOnly it never prompts: a needed prompt is an
// AuthenticationRequiredError.
func childCredential(certFile, authority, dir string, plaintext, silentOnly bool, prompt func(context.Context, azinteractive.DeviceCodeMessage) error) (*azinteractive.DeviceCodeCredential, error) {
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no certificate in " + certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	if os.Getenv(kernelKeyringEnv) == "1" {
		restoreKernelKeyring() // a child of a kernel keyring test
	}
	c, err := cache.New(&cache.Options{Name: os.Getenv("AZI_CACHE_NAME"), Directory: dir, AllowUnencryptedStorage: plaintext, RememberAccount: true})
	if err != nil {
		return nil, err
	}
	return azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Transport: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: authority},
		},
		Cache:                          c,
		DisableInstanceDiscovery:       true,
		DisableAutomaticAuthentication: silentOnly,
		UserPrompt:                     prompt,
	})
}

// childCacheEnv prepares the persistent cache's storage for child processes
// and returns the environment they need: plaintext files (no session bus),
// or a private Secret Service.
func childCacheEnv(t *testing.T, store string) []string {
	switch store {
	case "plaintext":
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
		t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
		return nil
	case "kernel keyring":
		return useKernelKeyring(t)
	}
	return keyringtest.Start(t).Env
}

// kernelKeyringEnv, set to 1, lets a test process use the kernel keyring:
// other tests mustn't leave keys in the user's keyring, nor use keys of
// the user's own caches.
const kernelKeyringEnv = "AZI_KERNEL_KEYRING"

// restoreKernelKeyring lets the process use the kernel keyring again: the
// test binary, and every child of it, starts with the keyring refused.
var restoreKernelKeyring = tokencache.RefuseKernelKeyring()

func TestProcessesRefreshingAtOnceNeverReprompt(t *testing.T) {
	procs, calls := 8, 50
	if n, _ := strconv.Atoi(os.Getenv("AZI_PROCS")); n > 0 {
		procs = n
	}
	if testing.Short() {
		procs, calls = 4, 8
	}
	for _, tc := range []struct {
		name      string
		plaintext bool
	}{
		{"plaintext", true},
		{"secret service", false},
		{"kernel keyring", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := childCacheEnv(t, tc.name)
			srv := entratest.NewServer(&entratest.Options{
				// MSAL doesn't cache a token that expires within five
				// minutes: every GetToken redeems the refresh token.
				AccessTokenLifetime:  5 * time.Minute,
				ApproveDeviceCodesAs: entratest.DefaultUsername,
			})
			defer srv.Close()
			certFile := filepath.Join(t.TempDir(), "entratest.pem")
			require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
			dir := filepath.Join(t.TempDir(), "cache")
			authority := srv.URL() + "/"

			// One sign-in, remembered for the children.
			cred, err := childCredential(certFile, authority, dir, tc.plaintext, false,
				func(context.Context, azinteractive.DeviceCodeMessage) error { return nil })
			require.NoError(t, err)
			_, err = cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
			require.NoError(t, err)
			require.Equal(t, 1, countRequests(srv, entratest.EndpointDeviceCode))
			refreshesBefore := countGrants(srv, "refresh_token")

			type child struct {
				cmd   *exec.Cmd
				out   *bufio.Scanner
				start io.WriteCloser // closed to start it
			}
			children := make([]child, procs)
			for i := range children {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(append(os.Environ(), env...), refreshChildEnv+"=1",
					"AZI_CERT="+certFile, "AZI_AUTHORITY="+authority, "AZI_CACHE_DIR="+dir,
					"AZI_PLAINTEXT="+map[bool]string{true: "1", false: "0"}[tc.plaintext],
					"AZI_CALLS="+strconv.Itoa(calls))
				cmd.Stderr = os.Stderr
				stdout, err := cmd.StdoutPipe()
				require.NoError(t, err)
				start, err := cmd.StdinPipe()
				require.NoError(t, err)
				require.NoError(t, cmd.Start())
				children[i] = child{cmd, bufio.NewScanner(stdout), start}
			}
			// All at once, once all are ready.
			for i, c := range children {
				require.True(t, c.out.Scan(), "child %d ended before it was ready", i)
				require.Equal(t, "READY", c.out.Text(), "child %d", i)
			}
			for _, c := range children {
				require.NoError(t, c.start.Close())
			}
			var ok, prompts, errs int
			for i, c := range children {
				var lines []string
				for c.out.Scan() {
					lines = append(lines, c.out.Text())
				}
				require.NoError(t, c.cmd.Wait(), "child %d: %s", i, strings.Join(lines, "\n"))
				var o, p, e int
				require.NotEmpty(t, lines, "child %d said nothing", i)
				_, err := fmt.Sscanf(lines[0], "RESULT %d %d %d", &o, &p, &e)
				require.NoError(t, err, "child %d: %s", i, strings.Join(lines, "\n"))
				ok, prompts, errs = ok+o, prompts+p, errs+e
				if p+e > 0 {
					t.Logf("child %d: %s", i, strings.Join(lines, "\n"))
				}
			}
			t.Logf("%d processes × %d refreshes: %d tokens, %d re-prompts, %d errors", procs, calls, ok, prompts, errs)
			assert.Zero(t, prompts, "re-prompts")
			assert.Zero(t, errs, "errors")
			assert.Equal(t, procs*calls, ok)
			assert.Equal(t, 1, countRequests(srv, entratest.EndpointDeviceCode), "a child signed in again")
			// The redemption lock keeps processes from racing over a refresh
			// token; one that waited past the lock's staleness bound may
			// still lose a race, which it retries without a prompt.
			refused := countRefused(srv, "refresh_token")
			t.Logf("%d redemptions refused (lost races, retried)", refused)
			assert.Equal(t, procs*calls, countGrants(srv, "refresh_token")-refreshesBefore-refused, "redemptions")
			assert.LessOrEqual(t, refused, procs, "lost races")
		})
	}
}

// countRefused counts srv's refused token requests of one grant type.
func countRefused(srv *entratest.Server, grantType string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.GrantType == grantType && r.Status != 200 {
			n++
		}
	}
	return n
}

// countGrants counts srv's token requests of one grant type.
func countGrants(srv *entratest.Server, grantType string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.GrantType == grantType {
			n++
		}
	}
	return n
}
