package azinteractive_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPythonCacheUsedSilently: a plaintext cache written by Python's
// azure-identity (cache/testdata, in msal-python's format and layout) and a
// record written by Python give a token without any sign-in or token request.
func TestPythonCacheUsedSilently(t *testing.T) {
	if runtime.GOOS != "linux" {
		// Python writes plaintext only when encrypted storage fails, which a
		// test can arrange on Linux alone; Windows always has DPAPI (see
		// TestPythonsDPAPICacheUsedSilently).
		t.Skip("Python's plaintext cache arises only where encrypted storage is unavailable: Linux without a Secret Service")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") // no keyring: the plaintext files
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := t.TempDir()
	golden, err := os.ReadFile(filepath.Join("cache", "testdata", "python_plaintext_cache.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "msal.cache.nocae"), golden, 0o600))

	c, err := cache.New(&cache.Options{Directory: dir, AllowUnencryptedStorage: true})
	require.NoError(t, err)
	requirePythonsTokenSilently(t, c)
}

// requirePythonsTokenSilently checks that c, holding Python's golden cache
// (cache/testdata/python_plaintext_cache.json), gives our credential the
// access token Python stored, with the record Python's
// InteractiveBrowserCredential.authenticate() returns for it, and without a
// token request.
func requirePythonsTokenSilently(t *testing.T, c azinteractive.Cache) {
	t.Helper()
	// Its authority is a bare host, as Python writes it.
	rec := azinteractive.AuthenticationRecord{
		Authority: "login.microsoftonline.com", ClientID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
		HomeAccountID: "5c8d7e21-3f0a-4b6d-8e9c-1a2b3c4d5e6f.7d3f4ad1-6b4e-4c0a-9f1e-2b8c5d9a0e11",
		TenantID:      "7d3f4ad1-6b4e-4c0a-9f1e-2b8c5d9a0e11", Username: "alice@contoso.com", Version: "1.0",
	}
	srv := entratest.NewServer(nil) // reachable only through srv.Client, should MSAL want the network
	defer srv.Close()
	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions:                  azcore.ClientOptions{Transport: srv.Client()},
		AuthenticationRecord:           rec,
		TenantID:                       rec.TenantID,
		Cache:                          c,
		DisableAutomaticAuthentication: true,
	})
	require.NoError(t, err)
	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	require.NoError(t, err)
	assert.Equal(t, "python-golden-access-token-4f1c", tk.Token)
	for _, r := range srv.Requests() {
		assert.NotEqual(t, entratest.EndpointToken, r.Endpoint, "no token request: %s %s", r.Method, r.Path)
	}
}
