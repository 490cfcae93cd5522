//go:build linux

package tokencache

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/azinteractive/azinteractive/internal/kernelkeyring"
	"github.com/azinteractive/azinteractive/internal/kernelkeyring/kernelkeyringtest"
)

// kernelKeyringTest prepares a test of the kernel keyring storage: it skips
// where keyctl is refused (fails with CI set), points XDG_CACHE_HOME at a
// fresh directory, and returns a cache name whose keys are removed when
// the test ends.
func kernelKeyringTest(t *testing.T) (kernelkeyring.Keyring, string, string) {
	t.Helper()
	r := kernelkeyringtest.Require(t)
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	return r, kernelkeyringtest.Name(t), filepath.Join(xdg, ".IdentityService")
}

// kernelCache is the Cache the kernel keyring storage is wired
// into: both CAE modes of the named cache.
func kernelCache(name string) Cache {
	return Cache{desc: kernelKeyringStore, open: func(cae bool, warn func(string)) (Storage, error) {
		return openKernelKeyring(Location{Name: name, OwnDir: true}, cae, warn)
	}}
}

func openKernelStorage(t *testing.T, name string, cae bool, w *warnings) *sealedStorage {
	t.Helper()
	warn := func(msg string) { t.Errorf("unexpected warning: %s", msg) }
	if w != nil {
		warn = w.warn
	}
	s, err := openKernelKeyring(Location{Name: name, OwnDir: true}, cae, warn)
	require.NoError(t, err)
	require.NoError(t, s.(checker).check(warn))
	return s.(*sealedStorage)
}

func TestKernelKeyringStorageLayoutIsAzidentitys(t *testing.T) {
	r, name, dir := kernelKeyringTest(t)
	h := kernelkeyringtest.Azidentity(t)
	s := openStore(t, kernelCache(name), nil)
	for _, cae := range []bool{false, true} {
		m := &fakeMSAL{}
		m.signIn("alice", "rt-secret", "at-secret")
		require.NoError(t, s.Mode(cae).Export(t.Context(), m, cache.ExportHints{}))
	}

	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	for _, file := range []string{name, name + ".cae"} {
		path := filepath.Join(dir, file)
		assert.Equal(t, h.Path(t, file), path, "azidentity/cache's path for %s", file)
		for _, p := range []string{path, path + ".lockfile"} {
			fi, err := os.Lstat(p)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "secret", "no token in plaintext on disk")
		k, err := r.Find(file)
		require.NoError(t, err, "the key is named as the file")
		assert.Equal(t, k.KID(), kernelkeyring.KeyID(b))

		f := &fakeMSAL{}
		require.NoError(t, f.Unmarshal(h.Read(t, file)), "azidentity/cache reads it")
		assert.Equal(t, "rt-secret", f.secret(sectionRefreshToken, "alice"))
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{name, name + ".lockfile", name + ".cae", name + ".cae.lockfile"}, names)
}

func TestKernelKeyringStorageWithoutXDGCacheHome(t *testing.T) {
	kernelkeyringtest.Require(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", "")
	s, err := openKernelKeyring(Location{Name: "some.cache", OwnDir: true}, true, nil)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(home, ".cache", ".IdentityService", "some.cache.cae"), s.(*sealedStorage).path)

	_, err = openKernelKeyring(Location{Name: "../escape", OwnDir: true}, false, nil)
	require.Error(t, err)
}

// A user signed in through azidentity/cache gets their tokens from ours, and
// azidentity/cache reads what ours adds.
func TestKernelKeyringStorageSharesAzidentitysCache(t *testing.T) {
	_, name, _ := kernelKeyringTest(t)
	h := kernelkeyringtest.Azidentity(t)
	theirs := &fakeMSAL{}
	theirs.signIn("alice", "rt-alice", "at-alice")
	b, err := theirs.Marshal()
	require.NoError(t, err)
	h.Write(t, name, b)

	c := openStore(t, kernelCache(name), &warnings{}).Mode(false)
	m := &fakeMSAL{}
	require.NoError(t, c.Replace(t.Context(), m, cache.ReplaceHints{}))
	assert.Equal(t, "rt-alice", m.secret(sectionRefreshToken, "alice"))

	m.signIn("bob", "rt-bob", "at-bob")
	require.NoError(t, c.Export(t.Context(), m, cache.ExportHints{}))
	back := &fakeMSAL{}
	require.NoError(t, back.Unmarshal(h.Read(t, name)))
	assert.Equal(t, "rt-alice", back.secret(sectionRefreshToken, "alice"))
	assert.Equal(t, "rt-bob", back.secret(sectionRefreshToken, "bob"))
}

// The kernel keeps keys in memory only: after a reboot the file is there and
// its key isn't. That is an empty cache (a sign-in), never an error.
func TestKernelKeyringStorageKeyGoneReadsEmpty(t *testing.T) {
	r, name, dir := kernelKeyringTest(t)
	m := &fakeMSAL{}
	m.signIn("alice", "rt-1", "at-1")
	require.NoError(t, openStore(t, kernelCache(name), nil).Mode(false).Export(t.Context(), m, cache.ExportHints{}))
	require.NoError(t, r.Remove(name), "the reboot")

	w := &warnings{}
	c := openStore(t, kernelCache(name), w).Mode(false)
	after := &fakeMSAL{}
	for range 2 {
		require.NoError(t, c.Replace(t.Context(), after, cache.ReplaceHints{}))
		assert.Empty(t, after.data)
	}
	require.Len(t, w.all(), 1)
	assert.Contains(t, w.all()[0], "no longer holds its key")
	assert.Contains(t, w.all()[0], "reboot")

	// The next sign-in makes a new key, and the file is readable again.
	after.signIn("alice", "rt-2", "at-2")
	require.NoError(t, c.Export(t.Context(), after, cache.ExportHints{}))
	_, err := r.Find(name)
	require.NoError(t, err)
	again := &fakeMSAL{}
	require.NoError(t, openStore(t, kernelCache(name), nil).Mode(false).Replace(t.Context(), again, cache.ReplaceHints{}))
	assert.Equal(t, "rt-2", again.secret(sectionRefreshToken, "alice"))
	_, err = os.Stat(filepath.Join(dir, name))
	require.NoError(t, err)
}

func TestKernelKeyringStorageTamperedIsCorrupt(t *testing.T) {
	_, name, dir := kernelKeyringTest(t)
	s := openKernelStorage(t, name, false, nil)
	require.NoError(t, s.Write(t.Context(), []byte(`{"RefreshToken":{"k":{"secret":"rt-secret"}}}`)))
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	seg := strings.Split(string(b), ".")
	ct, err := base64.RawURLEncoding.DecodeString(seg[3])
	require.NoError(t, err)
	ct[0] ^= 1
	seg[3] = base64.RawURLEncoding.EncodeToString(ct)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(seg, ".")), 0o600))

	data, err := s.Read(t.Context())
	require.True(t, isCorrupt(err), "%v", err)
	require.ErrorIs(t, err, kernelkeyring.ErrCorrupt)
	assert.Nil(t, data)
	assert.NotContains(t, err.Error(), "rt-secret")

	// Through a Store: empty, one warning, and the next sign-in overwrites it.
	w := &warnings{}
	c := openStore(t, kernelCache(name), w).Mode(false)
	m := &fakeMSAL{}
	require.NoError(t, c.Replace(t.Context(), m, cache.ReplaceHints{}))
	assert.Empty(t, m.data)
	require.Len(t, w.all(), 1)
	assert.Contains(t, w.all()[0], "can't be decoded")
	m.signIn("alice", "rt-new", "at-new")
	require.NoError(t, c.Export(t.Context(), m, cache.ExportHints{}))
	data, err = s.Read(t.Context())
	require.NoError(t, err)
	assert.Contains(t, string(data), "rt-new")
}

func TestKernelKeyringStorageRefusesSymlinks(t *testing.T) {
	_, name, dir := kernelKeyringTest(t)
	require.NoError(t, os.MkdirAll(dir, 0o700))
	target := filepath.Join(t.TempDir(), "elsewhere")
	require.NoError(t, os.WriteFile(target, []byte("precious"), 0o600))
	path := filepath.Join(dir, name)
	require.NoError(t, os.Symlink(target, path))

	_, err := Open(kernelCache(name), func(string) {})
	var unsafe *UnsafeFileError
	require.ErrorAs(t, err, &unsafe, "opening a cache refuses it")
	s, err := openKernelKeyring(Location{Name: name, OwnDir: true}, false, nil)
	require.NoError(t, err)
	require.ErrorAs(t, s.(checker).check(func(string) {}), &unsafe)
	assert.Contains(t, unsafe.Problem, "symbolic link")
	_, err = s.Read(t.Context())
	require.ErrorAs(t, err, &unsafe, "a link planted after the check")

	// The lock file, too.
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Symlink(target, path+".lockfile"))
	require.ErrorAs(t, s.(checker).check(func(string) {}), &unsafe)
	_, err = s.Lock(t.Context())
	require.ErrorAs(t, err, &unsafe)
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b))
}

func TestKernelKeyringStorageTightensModes(t *testing.T) {
	_, name, dir := kernelKeyringTest(t)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	w := &warnings{}
	s := openKernelStorage(t, name, false, w)
	require.NoError(t, s.Write(t.Context(), []byte("{}")))
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	require.Len(t, w.all(), 1)
	fi, err = os.Stat(filepath.Join(dir, name))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// azidentity/cache writes under MSAL extensions' lock on "<file>.lockfile";
// ours locks the same file, so neither writes while the other does.
func TestKernelKeyringStorageLockIsAzidentitys(t *testing.T) {
	_, name, dir := kernelKeyringTest(t)
	require.NoError(t, os.MkdirAll(dir, 0o700))
	h := kernelkeyringtest.Azidentity(t)
	s := openKernelStorage(t, name, false, nil)

	t.Run("azidentity holds it", func(t *testing.T) {
		release := h.Hold(t, name, []byte(`{"from":"azidentity"}`))
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := s.Lock(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		release()
		unlock, err := s.Lock(t.Context())
		require.NoError(t, err)
		unlock()
		data, err := s.Read(t.Context())
		require.NoError(t, err)
		assert.JSONEq(t, `{"from":"azidentity"}`, string(data))
	})
	t.Run("ours holds it", func(t *testing.T) {
		unlock, err := s.Lock(t.Context())
		require.NoError(t, err)
		err = h.Export(t, name, []byte(`{"from":"azidentity again"}`), 300*time.Millisecond)
		require.Error(t, err, "azidentity/cache wrote while ours held the lock")
		unlock()
		require.NoError(t, h.Export(t, name, []byte(`{"from":"azidentity again"}`), time.Minute))
	})
}

// Two stores (two processes, as far as the cache can tell) writing at once
// lose neither's sign-in.
func TestKernelKeyringStorageConcurrentWriters(t *testing.T) {
	_, name, _ := kernelKeyringTest(t)
	var wg sync.WaitGroup
	for _, user := range []string{"alice", "bob", "carol", "dave"} {
		c := openStore(t, kernelCache(name), &warnings{}).Mode(true)
		wg.Go(func() {
			m := &fakeMSAL{}
			assert.NoError(t, c.Replace(t.Context(), m, cache.ReplaceHints{}))
			m.signIn(user, "rt-"+user, "at-"+user)
			assert.NoError(t, c.Export(t.Context(), m, cache.ExportHints{}))
		})
	}
	wg.Wait()
	m := &fakeMSAL{}
	require.NoError(t, openStore(t, kernelCache(name), nil).Mode(true).Replace(t.Context(), m, cache.ReplaceHints{}))
	for _, user := range []string{"alice", "bob", "carol", "dave"} {
		assert.Equal(t, "rt-"+user, m.secret(sectionRefreshToken, user))
	}
}

func TestKernelKeyringProbe(t *testing.T) {
	kernelkeyringtest.Require(t)
	useKernelKeyring(t)
	require.NoError(t, probeKernelKeyring())

	keyringProbe = refusedKeyring
	err := probeKernelKeyring()
	var ue *UnavailableError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, kernelKeyringStore, ue.Store)
	assert.Contains(t, ue.Remedy, "seccomp")
	assert.ErrorIs(t, err, unix.EPERM)
	assert.Contains(t, err.Error(), "Docker's default seccomp profile")

	keyringProbe = func() error { return errors.New("something else") }
	require.ErrorAs(t, probeKernelKeyring(), &ue)
	assert.Empty(t, ue.Remedy)
}

// An application of azidentity's signs in through azidentity/cache.New, in
// either CAE mode; ours finds the sign-in in the same mode, and what ours
// adds is what azidentity then reads. (Users differ by mode because the
// Store shares refresh tokens between its modes.)
func TestKernelKeyringStorageSharedThroughAzidentityNew(t *testing.T) {
	_, name, dir := kernelKeyringTest(t)
	h := kernelkeyringtest.Azidentity(t)
	user := func(who string, cae bool) string { return who + "-" + strconv.FormatBool(cae) }
	for _, cae := range []bool{false, true} {
		theirs := &fakeMSAL{}
		theirs.signIn(user("alice", cae), "rt-"+user("alice", cae), "at-alice")
		b, err := theirs.Marshal()
		require.NoError(t, err)
		h.NewExport(t, name, cae, b)
	}
	assert.FileExists(t, filepath.Join(dir, name))
	assert.FileExists(t, filepath.Join(dir, name+".cae"))
	assert.NoFileExists(t, filepath.Join(dir, name+".nocae"))

	s := openStore(t, kernelCache(name), &warnings{})
	for _, cae := range []bool{false, true} {
		m := &fakeMSAL{}
		require.NoError(t, s.Mode(cae).Replace(t.Context(), m, cache.ReplaceHints{}))
		assert.Equal(t, "rt-"+user("alice", cae), m.secret(sectionRefreshToken, user("alice", cae)), "cae=%v", cae)
		m.signIn(user("bob", cae), "rt-"+user("bob", cae), "at-bob")
		require.NoError(t, s.Mode(cae).Export(t.Context(), m, cache.ExportHints{}))
	}
	for _, cae := range []bool{false, true} {
		back := &fakeMSAL{}
		require.NoError(t, back.Unmarshal(h.NewReplace(t, name, cae)))
		assert.Equal(t, "rt-"+user("alice", cae), back.secret(sectionRefreshToken, user("alice", cae)), "cae=%v", cae)
		assert.Equal(t, "rt-"+user("bob", cae), back.secret(sectionRefreshToken, user("bob", cae)), "cae=%v", cae)
	}
}

// refusedKeyring is the probe of a process that may not use the kernel
// keyring, as in a container whose seccomp profile forbids keyctl.
func refusedKeyring() error {
	return &kernelkeyring.RefusedError{Op: "get the user keyring", Err: unix.EPERM}
}

// The package's tests of the Secret Service expect its errors, not the
// kernel keyring's fallback: they get it only by asking (useKernelKeyring).
func init() { keyringProbe = refusedKeyring }

// useKernelKeyring lets a test fall back to the kernel keyring.
func useKernelKeyring(t *testing.T) {
	keyringProbe = kernelkeyring.Probe
	t.Cleanup(func() { keyringProbe = refusedKeyring })
}

func TestNoSecretServiceFallsBackToTheKernelKeyring(t *testing.T) {
	kernelkeyringtest.Require(t)
	useKernelKeyring(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	_, name, _ := kernelKeyringTest(t)
	p, err := Encrypted(t.Context(), Location{Dir: t.TempDir(), Name: name, OwnDir: true})
	require.NoError(t, err, "no session bus: the kernel keyring instead")
	assert.Equal(t, "persistent token cache (Linux kernel keyring)", p.String())
	assert.Contains(t, p.warning, "a reboot loses")
	assert.Contains(t, p.warning, "no D-Bus session bus")

	w := &warnings{}
	m := &fakeMSAL{}
	roundTrip(t, openStore(t, p, w).Mode(false), m, func() { m.signIn("alice", "rt-alice-1", "at-alice-1") })
	path := filepath.Join(os.Getenv("XDG_CACHE_HOME"), ".IdentityService", name)
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "azidentity/cache's file")
	assert.NotContains(t, string(raw), "rt-alice-1", "encrypted")
	got := &fakeMSAL{}
	require.NoError(t, openStore(t, p, w).Mode(false).Replace(t.Context(), got, cache.ReplaceHints{}))
	assert.Equal(t, "rt-alice-1", got.secret(sectionRefreshToken, "alice"), "a second process reads it")
}

func TestNoEncryptedStorageAtAllSaysWhyForBoth(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	_, err := Encrypted(t.Context(), Location{Dir: t.TempDir(), Name: "x"})
	var ue *UnavailableError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "Secret Service or Linux kernel keyring", ue.Store)
	assert.Contains(t, err.Error(), "no D-Bus session bus")
	assert.Contains(t, err.Error(), "Docker's default seccomp profile")
	assert.Contains(t, ue.Remedy, "gnome-keyring")
	assert.Contains(t, ue.Remedy, "seccomp")
}
