// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package tokencache

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failingStorage is a file whose writes fail while *fail is set, as a full
// disk's do.
type failingStorage struct {
	*fileStorage
	fail *atomic.Bool
}

func (s failingStorage) Write(ctx context.Context, data []byte) error {
	if s.fail.Load() {
		return &os.PathError{Op: "write", Path: s.path, Err: syscall.ENOSPC}
	}
	return s.fileStorage.Write(ctx, data)
}

// failingPlaintext is a plaintext cache at loc whose two files fail writes
// while the returned switch is set, as it is at first.
func failingPlaintext(loc Location) (Cache, *atomic.Bool) {
	fail := &atomic.Bool{}
	fail.Store(true)
	p := Plaintext(loc)
	open := p.open
	p.open = func(cae bool, warn func(string)) (Storage, error) {
		st, err := open(cae, warn)
		if err != nil {
			return nil, err
		}
		return failingStorage{st.(*fileStorage), fail}, nil
	}
	return p, fail
}

func TestASignInSurvivesACacheThatCantBeWritten(t *testing.T) {
	loc := plaintextLoc(t)
	p, failing := failingPlaintext(loc)
	w := &warnings{}
	s := openStore(t, p, w)
	idp := newFakeIDP(t)
	client := newMSALClient(t, s.Mode(false), idp)
	ctx := t.Context()

	ar, err := client.AcquireTokenByUsernamePassword(s.Begin(ctx, 0, testScopes), testScopes, "alice@contoso.com", "password")
	require.NoError(t, err, "a full disk cost the user a finished sign-in")
	assert.Equal(t, "at-alice-0", ar.AccessToken)
	require.Len(t, w.all(), 1, "one warning: %q", w.all())
	assert.Contains(t, w.all()[0], "can't be saved")
	assert.Contains(t, w.all()[0], "no space left on device")
	assert.Contains(t, w.all()[0], "kept in memory")
	assert.NotContains(t, w.all()[0], "at-alice", "a warning held a token")
	_, err = os.Stat(loc.Path(false))
	assert.True(t, os.IsNotExist(err), "nothing was written")

	// The process works from memory: the cached token, then refreshes.
	silent, err := client.AcquireTokenSilent(s.Begin(ctx, 0, testScopes), testScopes, public.WithSilentAccount(ar.Account))
	require.NoError(t, err)
	assert.Equal(t, ar.AccessToken, silent.AccessToken)
	for range 2 {
		require.NoError(t, s.Redeem(ctx, func(ctx context.Context) error {
			_, err := client.AcquireTokenSilent(s.Begin(ctx, 0, testScopes), testScopes, public.WithSilentAccount(ar.Account), public.WithClaims(claimsChallenge))
			return err
		}), "a refresh redeemed the refresh token kept in memory")
	}
	assert.Len(t, w.all(), 1, "one warning covers the run of failures")

	// The disk recovers: the next write saves everything, in both modes.
	failing.Store(false)
	require.NoError(t, s.Redeem(ctx, func(ctx context.Context) error {
		_, err := client.AcquireTokenSilent(s.Begin(ctx, 0, testScopes), testScopes, public.WithSilentAccount(ar.Account), public.WithClaims(claimsChallenge))
		return err
	}))
	for _, cae := range []bool{false, true} {
		got := stored(t, loc, cae)
		assert.Equal(t, "rt-alice-3", got.secret(sectionRefreshToken, "alice"), "cae=%v", cae)
		assert.Len(t, got.data[sectionAccount], 1)
	}
	assert.Equal(t, "at-alice-3", stored(t, loc, false).secret(sectionAccessToken, "alice"))
	require.Len(t, w.all(), 2)
	assert.Contains(t, w.all()[1], "saved again")
}

func TestPendingChangesMergeWithWhatOthersWroteMeanwhile(t *testing.T) {
	loc := plaintextLoc(t)
	p, failing := failingPlaintext(loc)
	s := openStore(t, p, &warnings{})
	m := &fakeMSAL{}
	roundTrip(t, s.Mode(false), m, func() { m.signIn("alice", "rt-a", "at-a") }) // kept in memory

	// Another process writes bob while this one can't write.
	other := &fakeMSAL{}
	roundTrip(t, openPlain(t, loc, false, nil), other, func() { other.signIn("bob", "rt-b", "at-b") })

	// This process reads bob, and still has alice.
	require.NoError(t, s.Mode(false).Replace(t.Context(), m, cache.ReplaceHints{}))
	assert.Equal(t, "rt-b", m.secret(sectionRefreshToken, "bob"))
	assert.Equal(t, "rt-a", m.secret(sectionRefreshToken, "alice"))

	// Its next write keeps both, and a sign-out that couldn't be written
	// is written with it.
	require.Error(t, s.RemoveAccount(t.Context(), 1, "uid-bob.tid"), "the sign-out says storage still holds the account")
	failing.Store(false)
	roundTrip(t, s.Mode(false), m, func() { m.signIn("carol", "rt-c", "at-c") })
	got := stored(t, loc, false)
	assert.Equal(t, "rt-a", got.secret(sectionRefreshToken, "alice"))
	assert.Equal(t, "rt-c", got.secret(sectionRefreshToken, "carol"))
	assert.Empty(t, got.secret(sectionRefreshToken, "bob"), "the pending sign-out was lost")
}

func TestPendingHoldsOneOpPerEntry(t *testing.T) {
	p := &mode{}
	set := func(key, v string) {
		p.queue(op{section: sectionRefreshToken, key: key, value: json.RawMessage(`"` + v + `"`)})
	}
	set("uid-a.tid-x", "1")
	set("uid-b.tid-x", "1")
	set("uid-a.tid-x", "2")
	assert.Len(t, p.pending, 2)
	p.queue(op{removeAccount: "UID-A.TID"})
	require.Len(t, p.pending, 2)
	assert.Equal(t, "uid-b.tid-x", p.pending[0].key)
	set("uid-a.tid-x", "3")
	p.queue(op{removeAccount: "uid-a.tid"})
	assert.Len(t, p.pending, 2, "a removal supersedes what it removes, and an earlier removal")

	m := newModel()
	m.set(sectionRefreshToken, "uid-a.tid-old", json.RawMessage(`{"home_account_id":"uid-a.tid"}`))
	replay(m, p.pending)
	assert.Len(t, m.sections[sectionRefreshToken], 1)
	assert.Contains(t, m.sections[sectionRefreshToken], "uid-b.tid-x")
}

// TestARealFullDiskCostsNoSignIn is issue 14's scenario: a 12 KiB tmpfs.
func TestARealFullDiskCostsNoSignIn(t *testing.T) {
	dir := mountTmpfs(t, "size=12k")
	loc := Location{Dir: filepath.Join(dir, "cache"), Name: "test.cache"}
	w := &warnings{}
	s := openStore(t, Plaintext(loc), w)
	idp := newFakeIDP(t)
	idp.padding = "." + strings.Repeat("x", 16<<10) // more than the disk holds
	client := newMSALClient(t, s.Mode(false), idp)
	ctx := t.Context()

	ar, err := client.AcquireTokenByUsernamePassword(s.Begin(ctx, 0, testScopes), testScopes, "alice@contoso.com", "password")
	require.NoError(t, err)
	require.NotEmpty(t, w.all())
	assert.Contains(t, w.all()[0], "no space left on device")
	silent, err := client.AcquireTokenSilent(s.Begin(ctx, 0, testScopes), testScopes, public.WithSilentAccount(ar.Account))
	require.NoError(t, err)
	assert.Equal(t, ar.AccessToken, silent.AccessToken)
	assertNoHalfWrittenFiles(t, loc)
}

// assertNoHalfWrittenFiles checks that loc's directory holds no temporary
// file and no cache file that doesn't decode.
func assertNoHalfWrittenFiles(t *testing.T, loc Location) {
	t.Helper()
	entries, err := os.ReadDir(loc.Dir)
	if os.IsNotExist(err) {
		return
	}
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".tmp"), "left behind: %s", e.Name())
	}
	for _, cae := range []bool{false, true} {
		b, err := os.ReadFile(loc.Path(cae))
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		_, err = parse(b)
		assert.NoError(t, err, "a half-written %s", loc.Path(cae))
	}
}

func TestAReadOnlyDirectoryCostsNoSignIn(t *testing.T) {
	dir := mountTmpfs(t, "size=1m")
	loc := Location{Dir: filepath.Join(dir, "cache"), Name: "test.cache"}
	require.NoError(t, os.Mkdir(loc.Dir, 0o700))
	remountReadOnly(t, dir)
	w := &warnings{}
	s := openStore(t, Plaintext(loc), w)
	idp := newFakeIDP(t)
	client := newMSALClient(t, s.Mode(false), idp)
	ctx := t.Context()

	ar, err := client.AcquireTokenByUsernamePassword(s.Begin(ctx, 0, testScopes), testScopes, "alice@contoso.com", "password")
	require.NoError(t, err)
	require.NoError(t, s.Redeem(ctx, func(ctx context.Context) error {
		_, err := client.AcquireTokenSilent(s.Begin(ctx, 0, testScopes), testScopes, public.WithSilentAccount(ar.Account), public.WithClaims(claimsChallenge))
		return err
	}), "refreshing in a read-only directory")
	all := strings.Join(w.all(), "\n")
	assert.Contains(t, all, "can't be saved")
	assert.Contains(t, all, "read-only file system")
}

func TestACachePathThatIsADirectory(t *testing.T) {
	// When the cache opens: refused, saying what is wrong.
	loc := plaintextLoc(t)
	require.NoError(t, os.MkdirAll(loc.Path(false), 0o700))
	_, err := Open(Plaintext(loc), nil)
	var unsafe *UnsafeFileError
	require.ErrorAs(t, err, &unsafe)
	assert.Contains(t, err.Error(), "it is a directory, not a regular file")
	assert.Contains(t, err.Error(), loc.Path(false))

	// After it opened: the sign-in is kept in memory.
	loc = plaintextLoc(t)
	w := &warnings{}
	s := openStore(t, Plaintext(loc), w)
	require.NoError(t, os.MkdirAll(loc.Path(false), 0o700))
	idp := newFakeIDP(t)
	client := newMSALClient(t, s.Mode(false), idp)
	ar, err := client.AcquireTokenByUsernamePassword(s.Begin(t.Context(), 0, testScopes), testScopes, "alice@contoso.com", "password")
	require.NoError(t, err)
	silent, err := client.AcquireTokenSilent(s.Begin(t.Context(), 0, testScopes), testScopes, public.WithSilentAccount(ar.Account))
	require.NoError(t, err)
	assert.Equal(t, ar.AccessToken, silent.AccessToken)
	all := strings.Join(w.all(), "\n")
	assert.Contains(t, all, "can't be saved")
	assert.Contains(t, all, "not a regular file")
}
