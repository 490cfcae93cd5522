// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package tokencache

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlaintextLayoutIsPythons(t *testing.T) {
	loc := Location{Dir: "/home/u/.IdentityService", Name: "msal.cache"}
	assert.Equal(t, filepath.FromSlash("/home/u/.IdentityService/msal.cache.nocae"), loc.Path(false))
	assert.Equal(t, filepath.FromSlash("/home/u/.IdentityService/msal.cache.cae"), loc.Path(true))
	assert.Equal(t, "unencrypted files in /home/u/.IdentityService", Plaintext(loc).desc)
	assert.Contains(t, Plaintext(loc).String(), "persistent token cache")
}

func TestPlaintextFilesArePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	loc := plaintextLoc(t)
	c := openPlain(t, loc, false, nil)
	m := &fakeMSAL{}
	roundTrip(t, c, m, func() { m.signIn("alice", "rt-1", "at-1") })

	fi, err := os.Stat(loc.Path(false))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	fi, err = os.Stat(loc.Dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	entries, err := os.ReadDir(loc.Dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"test.cache.nocae", "test.cache.nocae.lockfile", "test.cache.cae", "test.cache.cae.lockfile"}, names,
		"temporary files were left behind")
	fi, err = os.Stat(loc.Path(true))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestOpenTightensWhatPythonLeftReadable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	loc := plaintextLoc(t)
	// Python's FilePersistence creates both with the umask's modes.
	require.NoError(t, os.MkdirAll(loc.Dir, 0o755))
	require.NoError(t, os.Chmod(loc.Dir, 0o755))
	require.NoError(t, os.WriteFile(loc.Path(false), []byte("{}"), 0o644))
	require.NoError(t, os.Chmod(loc.Path(false), 0o644))

	w := &warnings{}
	openPlain(t, loc, false, w)
	fi, err := os.Stat(loc.Path(false))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	fi, err = os.Stat(loc.Dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	require.Len(t, w.all(), 2)
	assert.Contains(t, w.all()[0], "0700")
	assert.Contains(t, w.all()[1], "now 0600")
}

func TestOpenDeletesWhatCrashedWritersLeft(t *testing.T) {
	loc := plaintextLoc(t)
	require.NoError(t, os.MkdirAll(loc.Dir, 0o700))
	stale := filepath.Join(loc.Dir, ".test.cache.nocae.123.tmp")
	fresh := filepath.Join(loc.Dir, ".test.cache.nocae.456.tmp")
	for _, p := range []string{stale, fresh} {
		require.NoError(t, os.WriteFile(p, []byte("{}"), 0o600))
	}
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))

	openPlain(t, loc, false, nil)
	_, err := os.Stat(stale)
	assert.True(t, errors.Is(err, os.ErrNotExist), "the stale temporary file is still there")
	_, err = os.Stat(fresh)
	assert.NoError(t, err, "deleted a live writer's temporary file")
}

func TestOpenRefusesADirectoryOthersCanWriteThatTheAppChose(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o777, false},
		{0o775, false},
		{0o755, true},
		{0o777 | os.ModeSticky, true}, // like /tmp: others can't replace what isn't theirs
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			loc := plaintextLoc(t)
			loc.OwnDir = false
			require.NoError(t, os.MkdirAll(loc.Dir, 0o700))
			require.NoError(t, os.Chmod(loc.Dir, tc.mode))
			_, err := Open(Plaintext(loc), nil)
			fi, statErr := os.Stat(loc.Dir)
			require.NoError(t, statErr)
			assert.Equal(t, tc.mode, fi.Mode()&(os.ModePerm|os.ModeSticky), "changed a directory the application chose")
			if tc.ok {
				require.NoError(t, err)
				return
			}
			var unsafe *UnsafeFileError
			require.ErrorAs(t, err, &unsafe)
			assert.Equal(t, loc.Dir, unsafe.Path)
			assert.Contains(t, err.Error(), "other users can write to it")
			assert.Contains(t, err.Error(), "chmod go-w")
		})
	}
}

// rawFile is the simplest ExportReplace there is: the file's bytes straight
// to MSAL, with none of this package's merging.
type rawFile string

func (f rawFile) Replace(_ context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return err
	}
	return u.Unmarshal(b)
}

func (f rawFile) Export(context.Context, cache.Marshaler, cache.ExportHints) error { return nil }

func TestMSALReadsWhatWeWrite(t *testing.T) {
	loc := plaintextLoc(t)
	idp := newFakeIDP(t)
	signedIn := newMSALClient(t, openPlain(t, loc, false, nil), idp)
	ar, err := signedIn.AcquireTokenByUsernamePassword(t.Context(), testScopes, "alice@contoso.com", "password")
	require.NoError(t, err)

	// MSAL's own cache code, handed the file's bytes as they are.
	client, err := public.New(testClientID, public.WithCache(rawFile(loc.Path(false))), public.WithAuthority(idp.authority()),
		public.WithInstanceDiscovery(false), public.WithHTTPClient(&http.Client{Transport: noNetwork{t}}))
	require.NoError(t, err)
	accounts, err := client.Accounts(t.Context())
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	assert.Equal(t, "alice@contoso.com", accounts[0].PreferredUsername)
	assert.Equal(t, ar.Account.HomeAccountID, accounts[0].HomeAccountID)
	silent, err := client.AcquireTokenSilent(t.Context(), testScopes, public.WithSilentAccount(accounts[0]))
	require.NoError(t, err)
	assert.Equal(t, ar.AccessToken, silent.AccessToken)
}

func TestRecordsAreFilesBesideTheCache(t *testing.T) {
	loc := plaintextLoc(t)
	rs := FileRecords(loc)
	b, err := rs.Load("04b07795-8ddb-461a-bbee-02f9e1bf7b46")
	require.NoError(t, err)
	assert.Nil(t, b)

	require.NoError(t, rs.Save("04b07795-8ddb-461a-bbee-02f9e1bf7b46", []byte(`{"username":"alice"}`)))
	path := filepath.Join(loc.Dir, "test.cache.04b07795-8ddb-461a-bbee-02f9e1bf7b46.authrecord.json")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, `{"username":"alice"}`, string(got))
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	b, err = rs.Load("04b07795-8ddb-461a-bbee-02f9e1bf7b46")
	require.NoError(t, err)
	assert.JSONEq(t, `{"username":"alice"}`, string(b))

	require.NoError(t, rs.Delete("04b07795-8ddb-461a-bbee-02f9e1bf7b46"))
	require.NoError(t, rs.Delete("04b07795-8ddb-461a-bbee-02f9e1bf7b46"), "deleting nothing is fine")
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err))

	// A key that isn't a file name stays inside the directory.
	require.NoError(t, rs.Save("../../etc/passwd", []byte(`{}`)))
	entries, err := os.ReadDir(loc.Dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Regexp(t, `^test\.cache\.[0-9a-f]{32}\.authrecord\.json$`, entries[0].Name())
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"msal.cache", "my-app", "a b"} {
		assert.NoError(t, ValidName(ok), ok)
	}
	for _, bad := range []string{"", " ", ".", "..", "a/b", `a\b`, "a\x00b"} {
		assert.Error(t, ValidName(bad), "%q", bad)
	}
}

// sealedFor seals for one user and can't open another's, as DPAPI can't.
type sealedFor string

func (u sealedFor) seal(b []byte) ([]byte, error) { return append([]byte(u+":"), b...), nil }

func (u sealedFor) open(b []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(string(b), string(u)+":")
	if !ok {
		return nil, errors.New("the key is not valid for use in the specified state")
	}
	return []byte(rest), nil
}

func TestUndecryptableStorageReadsEmptyAndIsOverwritten(t *testing.T) {
	loc := plaintextLoc(t)
	require.NoError(t, os.MkdirAll(loc.Dir, 0o700))
	require.NoError(t, os.WriteFile(loc.Path(false), []byte(`bob:{"RefreshToken":{}}`), 0o600))
	w := &warnings{}
	c := openStore(t, over(newFileStorage(loc.Path(false), sealedFor("alice"), true)), w).Mode(false)
	m := &fakeMSAL{}
	for range 3 {
		require.NoError(t, c.Replace(t.Context(), m, cache.ReplaceHints{}))
		assert.Empty(t, m.data)
	}
	require.Len(t, w.all(), 1)
	assert.Contains(t, w.all()[0], "can't be decoded")

	m.signIn("alice", "rt-1", "at-1")
	require.NoError(t, c.Export(t.Context(), m, cache.ExportHints{}))
	b, err := os.ReadFile(loc.Path(false))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "alice:{"), "not overwritten: %q", b)
	assert.NotContains(t, string(b), "bob:")
}
