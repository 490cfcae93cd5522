//go:build linux

package tokencache

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/azinteractive/azinteractive/internal/kernelkeyring"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretLoc is an encrypted cache location in the keyring test's HOME.
func secretLoc(k *keyringtest.Keyring, name string) Location {
	return Location{Dir: filepath.Join(k.Home, ".IdentityService"), Name: name, OwnDir: true}
}

// openEncryptedStore opens a Store over the Secret Service.
func openEncryptedStore(t *testing.T, loc Location) *Store {
	t.Helper()
	p, err := Encrypted(t.Context(), loc)
	require.NoError(t, err)
	assert.Equal(t, "persistent token cache (Secret Service)", p.String())
	return openStore(t, p, nil)
}

// openEncryptedCache opens one mode of a Store of its own over the Secret
// Service.
func openEncryptedCache(t *testing.T, loc Location, cae bool) cache.ExportReplace {
	t.Helper()
	return openEncryptedStore(t, loc).Mode(cae)
}

func TestSecretServiceKeepsTheCacheEncrypted(t *testing.T) {
	k := keyringtest.Start(t)
	loc := secretLoc(k, "app.cache")
	noCAE := openEncryptedStore(t, loc).Mode(false)
	m := &fakeMSAL{}
	roundTrip(t, noCAE, m, func() { m.signIn("alice", "rt-SECRET-7f3a9c", "at-SECRET-51be20") })

	// Another process (a fresh cache) reads both modes back.
	for _, cae := range []bool{false, true} {
		m2 := &fakeMSAL{}
		require.NoError(t, openEncryptedCache(t, loc, cae).Replace(t.Context(), m2, cache.ReplaceHints{}))
		assert.Equal(t, "rt-SECRET-7f3a9c", m2.secret(sectionRefreshToken, "alice"), "cae=%v", cae)
	}

	// Each mode's cache is a private file, sealed with a key of its own that
	// the Secret Service keeps; Python's signal files aren't touched.
	for _, cae := range []bool{false, true} {
		fi, err := os.Stat(loc.Path(cae) + ".jwe")
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		b, err := os.ReadFile(loc.Path(cae) + ".jwe")
		require.NoError(t, err)
		kb, err := (&secretService{newSecretKeys(loc, cae).attrs}).read(t.Context())
		require.NoError(t, err)
		key, err := parseSecretKey(kb)
		require.NoError(t, err)
		require.NotNil(t, key, "no key item for cae=%v", cae)
		assert.Equal(t, key.kid, kernelkeyring.KeyID(b), "the file names its key")
		_, err = os.Stat(loc.Path(cae))
		assert.ErrorIs(t, err, fs.ErrNotExist)
	}

	// No token is on disk in plaintext: not in the keyring's files, and not
	// anywhere else under HOME.
	keyringFiles := 0
	require.NoError(t, filepath.WalkDir(k.Home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(path, k.Dir) && len(b) > 0 {
			keyringFiles++
		}
		for _, secret := range []string{"rt-SECRET-7f3a9c", "at-SECRET-51be20", "SECRET"} {
			assert.False(t, bytes.Contains(b, []byte(secret)), "%s holds %s in plaintext", path, secret)
		}
		return nil
	}))
	assert.Positive(t, keyringFiles, "the keyring wrote nothing to disk, so the check above proved nothing")

	// Encrypted's probes left no item behind.
	require.NoError(t, withSecretService(t.Context(), func(c *ssConn) error {
		unlocked, locked, err := c.search(t.Context(), map[string]string{xdgSchemaAttr: "azinteractive.probe"})
		assert.Empty(t, unlocked)
		assert.Empty(t, locked)
		return err
	}))
}

// Python's item (written here by libsecret's secret-tool, as azure-identity
// writes it) is read while this module's file is empty, so a user moving
// from Python, or from this module's versions that kept the cache there,
// keeps their sign-in. The item is left as it was.
func TestSecretServiceReadsPythonsItemUntilItHasItsOwn(t *testing.T) {
	k := keyringtest.Start(t)
	if _, err := exec.LookPath("secret-tool"); err != nil {
		keyringtest.Unavailable(t, "secret-tool not found")
	}
	loc := secretLoc(k, "msal.cache")
	// The attributes azure-identity's LibsecretPersistence stores under,
	// including the schema libsecret adds as "xdg:schema".
	attrs := []string{"xdg:schema", "msal.cache.nocae", "MsalClientID", "Microsoft.Developer.IdentityService"}
	secretTool := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("secret-tool", args...)
		cmd.Env = k.Env
		cmd.Stdin = strings.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, stderr.String())
		return string(out)
	}

	// Written by libsecret, read by us.
	m := &fakeMSAL{}
	m.signIn("alice", "rt-from-libsecret", "at-from-libsecret")
	b, err := m.Marshal()
	require.NoError(t, err)
	secretTool(string(b), append([]string{"store", "--label=MSALCache"}, attrs...)...)
	c := openEncryptedCache(t, loc, false)
	got := &fakeMSAL{}
	require.NoError(t, c.Replace(t.Context(), got, cache.ReplaceHints{}))
	assert.Equal(t, "rt-from-libsecret", got.secret(sectionRefreshToken, "alice"))

	// Written by us into our own file, with what the item held; the item
	// is unchanged.
	roundTrip(t, c, got, func() { got.signIn("bob", "rt-from-go", "at-from-go") })
	again := &fakeMSAL{}
	require.NoError(t, openEncryptedCache(t, loc, false).Replace(t.Context(), again, cache.ReplaceHints{}))
	assert.Equal(t, "rt-from-go", again.secret(sectionRefreshToken, "bob"))
	assert.Equal(t, "rt-from-libsecret", again.secret(sectionRefreshToken, "alice"))
	assert.Equal(t, string(b), secretTool("", append([]string{"lookup"}, attrs...)...))
	search := secretTool("", append([]string{"search", "--all"}, attrs...)...)
	assert.Equal(t, 1, strings.Count(search, "label = MSALCache"), search)
}

// pythonLibsecret is what azure-identity runs on Linux (msal_extensions
// LibSecretAgent, built by _persistent_cache._get_persistence).
const pythonLibsecret = `
import sys, gi
gi.require_version("Secret", "1")
from gi.repository import Secret
schema = Secret.Schema.new(sys.argv[2], Secret.SchemaFlags.NONE, {"MsalClientID": Secret.SchemaAttributeType.STRING})
attrs = {"MsalClientID": "Microsoft.Developer.IdentityService"}
if sys.argv[1] == "save":
    assert Secret.password_store_sync(schema, attrs, None, "MSALCache", sys.stdin.read(), None)
else:
    sys.stdout.write(Secret.password_lookup_sync(schema, attrs, None) or "")
`

// A cache Python's azure-identity saved through libsecret gives this module
// its sign-in, in either CAE mode; what this module writes goes into its
// own files, so Python's items stay as Python left them.
func TestSecretServiceReadsPythonsLibsecretCache(t *testing.T) {
	k := keyringtest.Start(t)
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", `import gi; gi.require_version("Secret", "1"); from gi.repository import Secret`).Run(); err != nil {
		keyringtest.Missing(t, "Python's libsecret bindings aren't installed ("+err.Error()+")", "python3-gi gir1.2-secret-1")
	}
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(python, append([]string{"-c", pythonLibsecret}, args...)...)
		cmd.Env = k.Env
		cmd.Stdin = strings.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, stderr.String())
		return string(out)
	}
	loc := secretLoc(k, "shared")

	m := &fakeMSAL{}
	m.signIn("alice", "rt-from-python", "at-from-python")
	b, err := m.Marshal()
	require.NoError(t, err)
	run(string(b), "save", "shared.cae")
	c := openEncryptedCache(t, loc, true)
	got := &fakeMSAL{}
	require.NoError(t, c.Replace(t.Context(), got, cache.ReplaceHints{}))
	assert.Equal(t, "rt-from-python", got.secret(sectionRefreshToken, "alice"))

	roundTrip(t, c, got, func() { got.signIn("alice", "rt-from-go", "at-from-go") })
	assert.Equal(t, string(b), run("", "load", "shared.cae"))
	assert.Empty(t, run("", "load", "shared.nocae"))
	// The other mode gets the account and refresh token, but no CAE access
	// token.
	other := &fakeMSAL{}
	require.NoError(t, openEncryptedCache(t, loc, false).Replace(t.Context(), other, cache.ReplaceHints{}))
	assert.Equal(t, "rt-from-go", other.secret(sectionRefreshToken, "alice"))
	assert.Empty(t, other.data[sectionAccessToken])
}

func TestSecretServiceUnavailableSaysWhatIsMissing(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	_, err := Encrypted(t.Context(), Location{Dir: t.TempDir(), Name: "x"})
	var ue *UnavailableError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "Secret Service or Linux kernel keyring", ue.Store)
	assert.Contains(t, err.Error(), "no D-Bus session bus")
	assert.Contains(t, err.Error(), "DBUS_SESSION_BUS_ADDRESS is unset")
	assert.Contains(t, ue.Remedy, "gnome-keyring")

	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "nobus"))
	_, err = Encrypted(t.Context(), Location{Dir: t.TempDir(), Name: "x"})
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "can't connect to the D-Bus session bus")
}

func TestNoSecretServiceOnTheBusSaysSo(t *testing.T) {
	keyringtest.BareBus(t)
	_, err := Encrypted(t.Context(), Location{Dir: t.TempDir(), Name: "x"})
	var ue *UnavailableError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "no Secret Service on the session D-Bus")
	assert.Contains(t, err.Error(), "gnome-keyring")
}

func TestLockedKeyringWithNoWayToPromptIsUnavailableAtOnce(t *testing.T) {
	keyringtest.StartLocked(t)
	start := time.Now()
	_, err := Encrypted(t.Context(), Location{Dir: t.TempDir(), Name: "x"})
	var ue *UnavailableError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "locked")
	assert.Less(t, time.Since(start), 10*time.Second, "waited for a prompt nobody can answer")
}

func TestSecretServiceHonoursContext(t *testing.T) {
	k := keyringtest.Start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Encrypted(ctx, secretLoc(k, "x"))
	require.ErrorIs(t, err, context.Canceled)
}

// TestKeyringInSubtestNamedWithEquals: t.TempDir names carry the subtest's
// name, and a '=' in a D-Bus address must be escaped.
func TestKeyringInSubtestNamedWithEquals(t *testing.T) {
	t.Run("lib=azinteractive", func(t *testing.T) {
		kr := keyringtest.Start(t)
		require.NotEmpty(t, kr.Env)
	})
}

// A write by another process between cache.New and the first token is what
// the first load reads: the check keeps nothing of the cache.
func TestSecretServiceFirstLoadReadsAWriteSinceTheCheck(t *testing.T) {
	k := keyringtest.Start(t)
	loc := secretLoc(k, "stale.cache")
	m := &fakeMSAL{}
	roundTrip(t, openEncryptedCache(t, loc, true), m, func() { m.signIn("alice", "rt-alice-1", "at-alice-1") })

	p, err := Encrypted(t.Context(), loc)
	require.NoError(t, err)

	// Another process refreshes: a new refresh token replaces alice's.
	other := &fakeMSAL{}
	roundTrip(t, openEncryptedCache(t, loc, true), other, func() { other.signIn("alice", "rt-alice-2", "at-alice-2") })

	got := &fakeMSAL{}
	require.NoError(t, openStore(t, p, nil).Mode(true).Replace(t.Context(), got, cache.ReplaceHints{}))
	assert.Equal(t, "rt-alice-2", got.secret(sectionRefreshToken, "alice"))
}

// write stores data as the item, as Python's azure-identity does.
func (s *secretService) write(ctx context.Context, data []byte) error {
	return withSecretService(ctx, func(c *ssConn) error { return c.store(ctx, s.attrs, msalSecretLabel, data) })
}

// probeSecretService is openEncrypted's check, as cache.New makes it.
func probeSecretService(ctx context.Context) error {
	_, err := openEncrypted(ctx, Location{Name: "probe.cache"})
	return err
}
