package cache_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/internal/tokencache"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noSecretService makes the Secret Service unreachable for the test, and
// gives it a HOME of its own.
func noSecretService(t *testing.T) (home string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("only Linux lacks encrypted storage on demand")
	}
	home = t.TempDir()
	t.Cleanup(tokencache.RefuseKernelKeyring())
	t.Setenv("HOME", home)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	return home
}

func TestNewFailsClearlyWithoutEncryptedStorage(t *testing.T) {
	home := noSecretService(t)
	_, err := cache.New(nil)
	require.ErrorIs(t, err, cache.ErrEncryptionUnavailable)
	msg := err.Error()
	for _, want := range []string{
		"Secret Service",                    // what is missing
		"Linux kernel keyring",              // and the fallback
		"DBUS_SESSION_BUS_ADDRESS is unset", // and why
		"gnome-keyring",                     // way out 1
		"AllowUnencryptedStorage",           // way out 2
		filepath.Join(home, ".IdentityService", "msal.cache.nocae"),
	} {
		assert.Contains(t, msg, want)
	}
	_, err = os.Stat(filepath.Join(home, ".IdentityService"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "a failed New created files")
}

func TestNewFallsBackToPlaintextWhenAllowed(t *testing.T) {
	noSecretService(t)
	dir := filepath.Join(t.TempDir(), "tokens")
	c, err := cache.New(&cache.Options{Name: "app", Directory: dir, AllowUnencryptedStorage: true})
	require.NoError(t, err)
	assert.Equal(t, "persistent token cache (unencrypted files in "+dir+")", c.String())
	assert.Nil(t, tokencache.RecordsOf(c), "RememberAccount is off")

	var warnings []string
	warn := func(msg string) { warnings = append(warnings, msg) }
	_, err = tokencache.Open(c, warn)
	require.NoError(t, err)
	require.Len(t, warnings, 1, "the fallback is logged once per credential")
	assert.Contains(t, warnings[0], "unencrypted")
	assert.Contains(t, warnings[0], filepath.Join(dir, "app.nocae"))
	assert.Contains(t, warnings[0], "DBUS_SESSION_BUS_ADDRESS")
}

func TestNewRejectsANameThatIsntAFileName(t *testing.T) {
	for _, name := range []string{"../x", "a/b", ".."} {
		_, err := cache.New(&cache.Options{Name: name, AllowUnencryptedStorage: true, Directory: t.TempDir()})
		assert.Error(t, err, name)
	}
}

func TestNewUsesTheKeyring(t *testing.T) {
	k := keyringtest.Start(t)
	c, err := cache.New(&cache.Options{RememberAccount: true})
	require.NoError(t, err)
	assert.Equal(t, "persistent token cache (Secret Service)", c.String())

	rs := tokencache.RecordsOf(c)
	require.NotNil(t, rs)
	require.NoError(t, rs.Save("04b07795-8ddb-461a-bbee-02f9e1bf7b46", []byte(`{"username":"alice@contoso.com"}`)))
	_, err = os.Stat(filepath.Join(k.Home, ".IdentityService", "msal.cache.04b07795-8ddb-461a-bbee-02f9e1bf7b46.authrecord.json"))
	assert.NoError(t, err, "the record isn't beside the cache, in the default directory")
}

// golden is what Python's azure-identity wrote: see
// testdata/gen_python_plaintext_cache.py.
const (
	goldenFile        = "testdata/python_plaintext_cache.json"
	goldenTenant      = "7d3f4ad1-6b4e-4c0a-9f1e-2b8c5d9a0e11"
	goldenClientID    = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	goldenAccessToken = "python-golden-access-token-4f1c"
)

func TestPythonsPlaintextCacheIsUsedSilently(t *testing.T) {
	noSecretService(t)
	dir := t.TempDir()
	golden, err := os.ReadFile(goldenFile)
	require.NoError(t, err)
	// Python's FilePersistence writes with the umask's mode.
	path := filepath.Join(dir, "msal.cache.nocae")
	require.NoError(t, os.WriteFile(path, golden, 0o644))
	require.NoError(t, os.Chmod(path, 0o644))

	c, err := cache.New(&cache.Options{Directory: dir, AllowUnencryptedStorage: true})
	require.NoError(t, err)
	var warnings []string
	store, err := tokencache.Open(c, func(msg string) { warnings = append(warnings, msg) })
	require.NoError(t, err)
	tc := store.Mode(false)
	assert.Contains(t, strings.Join(warnings, "\n"), "now 0600")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	client, err := public.New(goldenClientID, public.WithCache(tc),
		public.WithAuthority("https://login.microsoftonline.com/"+goldenTenant),
		public.WithInstanceDiscovery(false), public.WithHTTPClient(noNetwork(t)))
	require.NoError(t, err)
	accounts, err := client.Accounts(t.Context())
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	assert.Equal(t, "alice@contoso.com", accounts[0].PreferredUsername)
	ar, err := client.AcquireTokenSilent(t.Context(), []string{"https://management.azure.com/.default"}, public.WithSilentAccount(accounts[0]))
	require.NoError(t, err)
	assert.Equal(t, goldenAccessToken, ar.AccessToken)

	// Reading changed nothing: the file is still Python's, byte for byte.
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, golden, after)
	var parsed map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(after, &parsed))
}

func noNetwork(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request to %s: the cache should have answered", r.URL)
		return nil, fmt.Errorf("no network in this test")
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
