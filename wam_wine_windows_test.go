//go:build wine

package azinteractive_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// wamCred is a browser credential with the broker, whose MSALRuntime is at
// path; opening the browser fails the test unless open is given.
func wamCred(t *testing.T, srv *entratest.Server, bo *azinteractive.BrokerOptions, hint string, open func(context.Context, string) error) *azinteractive.InteractiveBrowserCredential {
	if open == nil {
		open = func(context.Context, string) error { return errors.New("the browser was opened") }
	}
	c, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
		Broker:        bo, LoginHint: hint, OpenURL: open,
	})
	require.NoError(t, err)
	return c
}

// TestWAMUnderWine: with MSALRuntime (the emulated one) the credential gets
// its tokens from the broker: one dialog, then a second scope silently.
func TestWAMUnderWine(t *testing.T) {
	path := os.Getenv("AZI_WAM_FAKE_DLL")
	require.NotEmpty(t, path, "run with .ci/wine/run, which builds the emulated MSALRuntime")
	dialogs := func() int {
		r, _, _ := windows.NewLazyDLL(path).NewProc("FakeMSALRuntime_Calls").Call(0)
		return int(int32(r))
	}
	srv := entratest.NewServer(nil)
	defer srv.Close()
	c := wamCred(t, srv, &azinteractive.BrokerOptions{MSALRuntimePath: path, RequireBroker: true}, "carol@contoso.com", nil)
	before := dialogs()
	for _, scope := range []string{"https://management.azure.com/.default", "https://graph.microsoft.com/.default"} {
		tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{scope}})
		require.NoError(t, err)
		assert.Equal(t, "fake-token:carol@contoso.com:"+scope, tk.Token)
	}
	assert.Equal(t, before+1, dialogs(), "one dialog for two scopes")

	// The device's account, with no dialog at all.
	c = wamCred(t, srv, &azinteractive.BrokerOptions{MSALRuntimePath: path, UseDefaultBrokerAccount: true}, "os@contoso.com", nil)
	before = dialogs()
	tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	require.NoError(t, err)
	assert.Equal(t, "fake-token:os@contoso.com:https://vault.azure.net/.default", tk.Token)
	assert.Equal(t, before, dialogs())

	// The user closes the dialog.
	c = wamCred(t, srv, &azinteractive.BrokerOptions{MSALRuntimePath: path}, "cancel@contoso.com", nil)
	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Contains(t, err.Error(), "canceled")
}

// TestWAMAbsentUnderWine: without MSALRuntime the credential signs in
// through the browser and logs why, or is unavailable with RequireBroker.
func TestWAMAbsentUnderWine(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	var mu sync.Mutex
	var lines []string
	log.SetListener(func(_ log.Event, msg string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, msg)
	})
	log.SetEvents(azinteractive.EventAuthentication)
	defer log.SetListener(nil)
	empty := t.TempDir()
	c := wamCred(t, srv, &azinteractive.BrokerOptions{MSALRuntimePath: empty}, "", srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword))
	tk, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	require.NoError(t, err)
	_, err = srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err, "not the browser's token")
	mu.Lock()
	all := strings.Join(lines, "\n")
	mu.Unlock()
	assert.Contains(t, all, "signing in through the browser: the Windows identity broker (WAM) can't be used: MSALRuntime isn't installed")

	c = wamCred(t, srv, &azinteractive.BrokerOptions{MSALRuntimePath: empty, RequireBroker: true}, "", nil)
	_, err = c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	var unavailable *azinteractive.CredentialUnavailableError
	require.ErrorAs(t, err, &unavailable)
	assert.Contains(t, err.Error(), "MSALRuntime isn't installed")
}
