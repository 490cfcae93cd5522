// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package azinteractive_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	extcache "github.com/AzureAD/microsoft-authentication-extensions-for-go/cache"
	"github.com/AzureAD/microsoft-authentication-extensions-for-go/cache/accessor"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The layout of the DPAPI caches of Microsoft's libraries on Windows:
//   - Python's azure-identity (_persistent_cache.py) keeps each cache in
//     os.path.join(os.environ["LOCALAPPDATA"], ".IdentityService", name+".nocae"
//     or ".cae"), through msal-extensions' FilePersistenceWithDataProtection:
//     the file holds CryptProtectData's blob (no entropy) of MSAL's JSON cache.
//     .NET's Azure.Identity uses the same names, directory and format.
//   - Go's azidentity/cache keeps name (non-CAE, unsuffixed) and name+".cae"
//     in KnownFolderPath(FOLDERID_LocalAppData)\.IdentityService, through the
//     Windows accessor of MSAL's Go extensions (same DPAPI call) and that
//     module's cache, which locks <file>.lockfile as we do.
//
// The readers below are the latter's code, which is also what the others'
// format is: accessor.Storage opens the file with CryptUnprotectData, and
// MSAL for Go, over the extensions' cache, reads the JSON.

// dpapiCachePath is where Python and .NET look for a cache named
// "msal.cache" in one CAE mode.
func dpapiCachePath(cae bool) string {
	suffix := ".nocae"
	if cae {
		suffix = ".cae"
	}
	return filepath.Join(os.Getenv("LOCALAPPDATA"), ".IdentityService", "msal.cache"+suffix)
}

// TestDPAPICacheIsWhatMicrosoftsLibrariesRead signs in with the default
// persistent cache and reads what it wrote with the other libraries' code.
func TestDPAPICacheIsWhatMicrosoftsLibrariesRead(t *testing.T) {
	t.Setenv("LOCALAPPDATA", t.TempDir()) // not the profile's own caches
	srv := entratest.NewServer(nil)
	defer srv.Close()
	c, err := cache.New(nil)
	require.NoError(t, err)
	assert.Equal(t, "persistent token cache (DPAPI)", c.String())
	cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
		entratest.DefaultUsername, entratest.DefaultPassword,
		&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: fastClientOptions(srv), Cache: c})
	require.NoError(t, err)
	scopes := []string{"https://management.azure.com/.default"}

	for _, cae := range []bool{false, true} {
		tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: scopes, EnableCAE: cae})
		require.NoError(t, err)
		path := dpapiCachePath(cae)

		raw, err := os.ReadFile(path)
		require.NoError(t, err, "nothing where Python and .NET look")
		assert.False(t, json.Valid(raw), "the file is plaintext JSON, not a DPAPI blob")
		assert.NotContains(t, string(raw), tk.Token)

		a, err := accessor.New(path)
		require.NoError(t, err)
		plain, err := a.Read(t.Context())
		require.NoError(t, err, "CryptUnprotectData can't open the file")
		var doc map[string]map[string]map[string]any
		require.NoError(t, json.Unmarshal(plain, &doc), "not MSAL's JSON cache")
		var secrets []any
		for _, e := range doc["AccessToken"] {
			assert.Equal(t, "AccessToken", e["credential_type"])
			secrets = append(secrets, e["secret"])
		}
		assert.Equal(t, []any{tk.Token}, secrets, "cae=%v", cae)
		assert.Len(t, doc["RefreshToken"], 1)
		require.Len(t, doc["Account"], 1)
		for _, acct := range doc["Account"] {
			assert.Equal(t, entratest.DefaultUsername, acct["username"])
		}

		// MSAL for Go over the extensions' cache, as azidentity/cache builds
		// it, finds the account and the token without asking the server.
		client := extensionsClient(t, srv, a, path)
		accounts, err := client.Accounts(t.Context())
		require.NoError(t, err)
		require.Len(t, accounts, 1)
		assert.Equal(t, entratest.DefaultUsername, accounts[0].PreferredUsername)
		before := countRequests(srv, entratest.EndpointToken)
		ar, err := client.AcquireTokenSilent(t.Context(), scopes, public.WithSilentAccount(accounts[0]))
		require.NoError(t, err)
		assert.Equal(t, tk.Token, ar.AccessToken, "cae=%v", cae)
		assert.Equal(t, before, countRequests(srv, entratest.EndpointToken), "MSAL asked the server")
	}
}

// TestPythonsDPAPICacheUsedSilently: the cache Python's azure-identity
// keeps on Windows (the golden cache of cache/testdata, sealed as
// FilePersistenceWithDataProtection seals it, where it puts it) and the
// record Python returned give a token without any sign-in or token request:
// the Windows twin of TestPythonCacheUsedSilently.
func TestPythonsDPAPICacheUsedSilently(t *testing.T) {
	t.Setenv("LOCALAPPDATA", t.TempDir())
	golden, err := os.ReadFile(filepath.Join("cache", "testdata", "python_plaintext_cache.json"))
	require.NoError(t, err)
	a, err := accessor.New(dpapiCachePath(false))
	require.NoError(t, err)
	require.NoError(t, a.Write(t.Context(), golden))

	c, err := cache.New(nil)
	require.NoError(t, err)
	requirePythonsTokenSilently(t, c)
}

// TestAzidentityCachesDPAPIFileUsedSilently: a user signed in through
// azidentity/cache (its file %LOCALAPPDATA%\.IdentityService\msal.cache,
// written by MSAL for Go over the extensions' DPAPI accessor, as
// azidentity/cache builds it) switches to this module with the same cache
// name and the record: the first token comes silently, with no request.
func TestAzidentityCachesDPAPIFileUsedSilently(t *testing.T) {
	t.Setenv("LOCALAPPDATA", t.TempDir())
	srv := entratest.NewServer(nil)
	defer srv.Close()
	path := filepath.Join(os.Getenv("LOCALAPPDATA"), ".IdentityService", "msal.cache")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	a, err := accessor.New(path)
	require.NoError(t, err)
	client := extensionsClient(t, srv, a, path)
	scopes := []string{"https://management.azure.com/.default"}
	ar, err := client.AcquireTokenByUsernamePassword(t.Context(), scopes, entratest.DefaultUsername, entratest.DefaultPassword)
	require.NoError(t, err)

	c, err := cache.New(nil)
	require.NoError(t, err)
	rec := azinteractive.AuthenticationRecord{
		Authority: "https://" + ar.Account.Environment + "/", ClientID: entratest.DefaultClientID,
		HomeAccountID: ar.Account.HomeAccountID, TenantID: ar.Account.Realm, Username: ar.Account.PreferredUsername, Version: "1.0",
	}
	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: fastClientOptions(srv), AuthenticationRecord: rec, TenantID: rec.TenantID, Cache: c,
		DisableAutomaticAuthentication: true,
	})
	require.NoError(t, err)
	before := countRequests(srv, entratest.EndpointToken)
	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: scopes})
	require.NoError(t, err)
	assert.Equal(t, ar.AccessToken, tk.Token, "azidentity/cache's token")
	assert.Equal(t, before, countRequests(srv, entratest.EndpointToken), "no token request")
}

// extensionsClient is MSAL for Go over the extensions' cache of the DPAPI
// file at path, as azidentity/cache builds it, talking to srv.
func extensionsClient(t *testing.T, srv *entratest.Server, a *accessor.Storage, path string) public.Client {
	t.Helper()
	xc, err := extcache.New(a, path)
	require.NoError(t, err)
	client, err := public.New(entratest.DefaultClientID, public.WithCache(xc),
		public.WithAuthority(srv.URL()+"/"+entratest.DefaultTenantID),
		public.WithHTTPClient(srv.Client()), public.WithInstanceDiscovery(false))
	require.NoError(t, err)
	return client
}
