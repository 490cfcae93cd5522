//go:build unix

package tokencache

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// otherUID is a user the tests give files to: nobody.
const otherUID = 65534

// asRoot skips a test that must give files to another user, which only
// root can.
func asRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
}

// victim is a file of another user's in a world-writable sticky directory
// (like /tmp), which the test's user must not damage.
func victim(t *testing.T, dir string) (path string, content []byte) {
	t.Helper()
	path = filepath.Join(dir, "victim")
	content = []byte("another user's data")
	require.NoError(t, os.WriteFile(path, content, 0o600))
	if os.Getuid() == 0 {
		require.NoError(t, os.Chown(path, otherUID, otherUID))
	}
	return path, content
}

// sharedDir is a directory like /tmp: anyone may create files in it, and
// the sticky bit keeps them from removing others'.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shared")
	require.NoError(t, os.Mkdir(dir, 0o700))
	require.NoError(t, os.Chmod(dir, 0o777|os.ModeSticky))
	return dir
}

// TestALinkAtTheLockFileIsNeverFollowed is issue 14's attack: a link
// planted at <cache>.lockfile pointing at another user's file, which a
// sign-in, a refresh or a sign-out would truncate.
func TestALinkAtTheLockFileIsNeverFollowed(t *testing.T) {
	for _, lock := range []string{".nocae.lockfile", ".cae.lockfile", ".redeem.lockfile"} {
		t.Run(lock, func(t *testing.T) {
			dir := sharedDir(t)
			target, content := victim(t, dir)
			loc := Location{Dir: dir, Name: "app"}

			// Planted before the cache opens: refused then.
			link := filepath.Join(dir, "app"+lock)
			require.NoError(t, os.Symlink(target, link))
			_, err := Open(Plaintext(loc), nil)
			var unsafe *UnsafeFileError
			require.ErrorAs(t, err, &unsafe)
			assert.Equal(t, link, unsafe.Path)
			assert.Contains(t, err.Error(), "symbolic link")

			// Planted after: every write and redemption refuses it.
			require.NoError(t, os.Remove(link))
			w := &warnings{}
			s := openStore(t, Plaintext(loc), w)
			require.NoError(t, os.Symlink(target, link))
			m := &fakeMSAL{}
			roundTrip(t, s.Mode(false), m, func() { m.signIn("alice", "rt-1", "at-1") })
			require.NoError(t, s.Redeem(t.Context(), func(context.Context) error { return nil }))
			_ = s.RemoveAccount(t.Context(), 1, "uid-alice.tid")

			got, err := os.ReadFile(target)
			require.NoError(t, err)
			assert.Equal(t, content, got, "the victim's file was changed")
			assert.NotEmpty(t, w.all(), "the refusal went unreported")
		})
	}
}

func TestALinkAtTheCacheFileIsRefused(t *testing.T) {
	dir := sharedDir(t)
	planted := filepath.Join(dir, "planted")
	m := &fakeMSAL{}
	m.signIn("mallory", "rt-m", "at-m")
	b, err := m.Marshal()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(planted, b, 0o600))
	loc := Location{Dir: dir, Name: "app"}
	require.NoError(t, os.Symlink(planted, loc.Path(false)))

	_, err = Open(Plaintext(loc), nil)
	var unsafe *UnsafeFileError
	require.ErrorAs(t, err, &unsafe)
	assert.Contains(t, err.Error(), "symbolic link")

	// Planted after the cache opened, it isn't read either.
	require.NoError(t, os.Remove(loc.Path(false)))
	s := openStore(t, Plaintext(loc), &warnings{})
	require.NoError(t, os.Symlink(planted, loc.Path(false)))
	got := &fakeMSAL{}
	err = s.Mode(false).Replace(t.Context(), got, cache.ReplaceHints{})
	require.ErrorAs(t, err, &unsafe, "a silent call learns why it found nothing")
	assert.Empty(t, got.secret(sectionRefreshToken, "mallory"), "the planted account was served")
}

func TestFilesOfAnotherUserAreRefused(t *testing.T) {
	asRoot(t)
	for name, plant := range map[string]func(loc Location) string{
		"cache file":  func(loc Location) string { return loc.Path(false) },
		"CAE cache":   func(loc Location) string { return loc.Path(true) },
		"lock file":   func(loc Location) string { return loc.Path(false) + ".lockfile" },
		"redeem lock": func(loc Location) string { return loc.redeemLock() },
	} {
		t.Run(name, func(t *testing.T) {
			dir := sharedDir(t)
			loc := Location{Dir: dir, Name: "app"}
			path := plant(loc)
			m := &fakeMSAL{}
			m.signIn("mallory", "rt-m", "at-m")
			b, err := m.Marshal()
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, b, 0o600))
			require.NoError(t, os.Chown(path, otherUID, otherUID))

			_, err = Open(Plaintext(loc), nil)
			var unsafe *UnsafeFileError
			require.ErrorAs(t, err, &unsafe)
			assert.Equal(t, path, unsafe.Path)
			assert.Contains(t, err.Error(), "belongs to another user")
			assert.Contains(t, err.Error(), "remove it")
		})
	}
}

func TestARecordOfAnotherUserIsRefused(t *testing.T) {
	asRoot(t)
	dir := sharedDir(t)
	rs := FileRecords(Location{Dir: dir, Name: "app"})
	require.NoError(t, rs.Save("cid", []byte(`{"username":"mallory"}`)))
	path := filepath.Join(dir, "app.cid.authrecord.json")
	require.NoError(t, os.Chown(path, otherUID, otherUID))
	b, err := rs.Load("cid")
	var unsafe *UnsafeFileError
	require.ErrorAs(t, err, &unsafe)
	assert.Nil(t, b)

	require.NoError(t, os.Remove(path))
	other := filepath.Join(dir, "elsewhere")
	require.NoError(t, os.WriteFile(other, []byte(`{"username":"mallory"}`), 0o600))
	require.NoError(t, os.Symlink(other, path))
	b, err = rs.Load("cid")
	require.ErrorAs(t, err, &unsafe)
	assert.Nil(t, b)
}

func TestFilesOthersCanWriteAreRefused(t *testing.T) {
	loc := plaintextLoc(t)
	require.NoError(t, os.MkdirAll(loc.Dir, 0o700))
	require.NoError(t, os.WriteFile(loc.Path(false), []byte("{}"), 0o600))
	require.NoError(t, os.Chmod(loc.Path(false), 0o666))
	_, err := Open(Plaintext(loc), nil)
	var unsafe *UnsafeFileError
	require.ErrorAs(t, err, &unsafe)
	assert.Contains(t, err.Error(), "other users can write to it (mode 0666)")
}

func TestDirectoriesOfAnotherUserAreRefused(t *testing.T) {
	asRoot(t)
	base := t.TempDir()
	theirs := filepath.Join(base, "theirs")
	require.NoError(t, os.Mkdir(theirs, 0o755))
	require.NoError(t, os.Chown(theirs, otherUID, otherUID))
	for name, dir := range map[string]string{
		"the cache's directory": theirs,
		"a directory above it":  filepath.Join(theirs, "mine", "cache"),
	} {
		t.Run(name, func(t *testing.T) {
			if dir != theirs {
				require.NoError(t, os.MkdirAll(filepath.Dir(dir), 0o700))
			}
			_, err := Open(Plaintext(Location{Dir: dir, Name: "app"}), nil)
			var unsafe *UnsafeFileError
			require.ErrorAs(t, err, &unsafe)
			assert.Equal(t, theirs, unsafe.Path)
			assert.Contains(t, err.Error(), "belongs to another user")
		})
	}

	// A link to it is refused too, however the path reads.
	link := filepath.Join(base, "link")
	require.NoError(t, os.Symlink(theirs, link))
	_, err := Open(Plaintext(Location{Dir: link, Name: "app"}), nil)
	var unsafe *UnsafeFileError
	require.ErrorAs(t, err, &unsafe)
}

func TestADirectoryAboveOthersCanWriteIsRefused(t *testing.T) {
	open := filepath.Join(t.TempDir(), "open")
	require.NoError(t, os.Mkdir(open, 0o700))
	require.NoError(t, os.Chmod(open, 0o777)) // no sticky bit
	dir := filepath.Join(open, "mine")
	require.NoError(t, os.Mkdir(dir, 0o700))
	_, err := Open(Plaintext(Location{Dir: dir, Name: "app"}), nil)
	var unsafe *UnsafeFileError
	require.ErrorAs(t, err, &unsafe)
	assert.Equal(t, open, unsafe.Path)
	assert.Contains(t, err.Error(), "lacks the sticky bit")
}

func TestANamedPipeAtTheCachePathNeitherHangsNorIsRead(t *testing.T) {
	loc := plaintextLoc(t)
	require.NoError(t, os.MkdirAll(loc.Dir, 0o700))
	s := openStore(t, Plaintext(loc), &warnings{})
	require.NoError(t, syscall.Mkfifo(loc.Path(false), 0o600))
	done := make(chan error, 1)
	go func() { done <- s.Mode(false).Replace(t.Context(), &fakeMSAL{}, cache.ReplaceHints{}) }()
	select {
	case err := <-done:
		var unsafe *UnsafeFileError
		require.ErrorAs(t, err, &unsafe)
		assert.Contains(t, err.Error(), "a named pipe")
	case <-time.After(10 * time.Second):
		t.Fatal("reading the cache blocked on a named pipe")
	}
	_, err := Open(Plaintext(loc), nil)
	require.Error(t, err)
}

func TestTheSignalFileIsNeverFollowed(t *testing.T) {
	dir := sharedDir(t)
	target, content := victim(t, dir)
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(target, old, old))
	signal := filepath.Join(dir, "app.nocae")
	w := &warnings{}
	s := openStore(t, over(newSecretStorage(&memorySecrets{}, signal, false)), w)
	require.NoError(t, os.Symlink(target, signal))
	m := &fakeMSAL{}
	roundTrip(t, s.Mode(false), m, func() { m.signIn("alice", "rt-1", "at-1") })
	got, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, content, got)
	fi, err := os.Stat(target)
	require.NoError(t, err)
	assert.True(t, fi.ModTime().Equal(old), "the victim's file was touched")
	require.NotEmpty(t, w.all())
	assert.Contains(t, w.all()[0], "symbolic link")
}
