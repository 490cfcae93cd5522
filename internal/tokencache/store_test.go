package tokencache

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTrip runs MSAL's Replace, lets edit change MSAL's copy, and runs Export.
func roundTrip(t *testing.T, c cache.ExportReplace, m *fakeMSAL, edit func()) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
	if edit != nil {
		edit()
	}
	require.NoError(t, c.Export(ctx, m, cache.ExportHints{}))
}

func TestTwoCachesOnOneFileKeepBothWrites(t *testing.T) {
	loc := plaintextLoc(t)
	a, b := openPlain(t, loc, false, nil), openPlain(t, loc, false, nil)
	ma, mb := &fakeMSAL{}, &fakeMSAL{}
	ctx := t.Context()

	// Both load the empty cache, then sign in different users: b's Export
	// must not erase a's entries, though b's MSAL never saw them.
	require.NoError(t, a.Replace(ctx, ma, cache.ReplaceHints{}))
	require.NoError(t, b.Replace(ctx, mb, cache.ReplaceHints{}))
	ma.signIn("alice", "rt-alice-1", "at-alice-1")
	mb.signIn("bob", "rt-bob-1", "at-bob-1")
	require.NoError(t, a.Export(ctx, ma, cache.ExportHints{}))
	require.NoError(t, b.Export(ctx, mb, cache.ExportHints{}))

	got := stored(t, loc, false)
	assert.Equal(t, "rt-alice-1", got.secret(sectionRefreshToken, "alice"))
	assert.Equal(t, "rt-bob-1", got.secret(sectionRefreshToken, "bob"))

	// a rotates alice's refresh token from a stale view; then b, which still
	// holds alice's old token, exports an unrelated change. The rotation
	// survives, because b changed only bob's entries.
	roundTrip(t, a, ma, func() { ma.signIn("alice", "rt-alice-2", "at-alice-2") })
	require.NoError(t, b.Replace(ctx, mb, cache.ReplaceHints{}))
	assert.Equal(t, "rt-alice-2", mb.secret(sectionRefreshToken, "alice"), "b re-read the file a changed")
	mb.signIn("bob", "rt-bob-2", "at-bob-2")
	require.NoError(t, b.Export(ctx, mb, cache.ExportHints{}))

	got = stored(t, loc, false)
	assert.Equal(t, "rt-alice-2", got.secret(sectionRefreshToken, "alice"))
	assert.Equal(t, "rt-bob-2", got.secret(sectionRefreshToken, "bob"))
	assert.Len(t, got.data[sectionAccount], 2)
}

func TestModesShareAccountsAndRefreshTokensButNotAccessTokens(t *testing.T) {
	loc := plaintextLoc(t)
	s := openStore(t, Plaintext(loc), nil)
	m := &fakeMSAL{}
	roundTrip(t, s.Mode(true), m, func() { m.signIn("alice", "rt-1", "cae-at-1") })

	other := stored(t, loc, false)
	assert.Equal(t, "rt-1", other.secret(sectionRefreshToken, "alice"))
	assert.Len(t, other.data[sectionAccount], 1)
	assert.Empty(t, other.data[sectionAccessToken], "a CAE access token must not reach the non-CAE cache")
	assert.Equal(t, "cae-at-1", stored(t, loc, true).secret(sectionAccessToken, "alice"))

	// The other mode serves what it received without MSAL doing anything.
	m2 := &fakeMSAL{}
	require.NoError(t, s.Mode(false).Replace(t.Context(), m2, cache.ReplaceHints{}))
	assert.Equal(t, "rt-1", m2.secret(sectionRefreshToken, "alice"))
	assert.Empty(t, m2.data[sectionAccessToken])
}

func TestRemoveAccountLeavesOthers(t *testing.T) {
	loc := plaintextLoc(t)
	s := openStore(t, Plaintext(loc), nil)
	m := &fakeMSAL{}
	roundTrip(t, s.Mode(false), m, func() { m.signIn("alice", "rt-a", "at-a"); m.signIn("bob", "rt-b", "at-b") })

	require.NoError(t, s.RemoveAccount(t.Context(), 1, "UID-ALICE.TID"))
	for _, cae := range []bool{false, true} {
		got := stored(t, loc, cae)
		assert.Empty(t, got.secret(sectionRefreshToken, "alice"))
		assert.Empty(t, got.secret(sectionAccessToken, "alice"))
		assert.Equal(t, "rt-b", got.secret(sectionRefreshToken, "bob"))
		assert.Len(t, got.data[sectionAccount], 1)
	}

	// MSAL's next Replace no longer holds alice.
	require.NoError(t, s.Mode(false).Replace(t.Context(), m, cache.ReplaceHints{}))
	assert.Empty(t, m.secret(sectionRefreshToken, "alice"))
	assert.Equal(t, "rt-b", m.secret(sectionRefreshToken, "bob"))
}

func TestCorruptStorageReadsEmptyWarnsOnceAndIsOverwritten(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":     "\x00\x01garbage",
		"truncated":    `{"RefreshToken": {"k": {"secret": "rt-`,
		"wrong shape":  `{"RefreshToken": "rt-in-the-wrong-place", "AccessToken": {"k": 5}}`,
		"JSON array":   `[1, 2, 3]`,
		"null section": `{"Account": null}`,
	} {
		t.Run(name, func(t *testing.T) {
			loc := plaintextLoc(t)
			require.NoError(t, os.MkdirAll(loc.Dir, 0o700))
			require.NoError(t, os.WriteFile(loc.Path(false), []byte(content), 0o600))
			w := &warnings{}
			c := openPlain(t, loc, false, w)
			client := newMSALClient(t, c, nil)

			// Real MSAL, several calls: no error, no account, one warning.
			for range 3 {
				accounts, err := client.Accounts(t.Context())
				require.NoError(t, err)
				assert.Empty(t, accounts)
			}
			assert.LessOrEqual(t, len(w.all()), 1, "warned on every call: %q", w.all())
			for _, msg := range w.all() {
				assert.NotContains(t, msg, "rt-", "a warning quoted the stored bytes")
			}

			// The next sign-in overwrites the file with a cache MSAL reads.
			m := &fakeMSAL{}
			roundTrip(t, c, m, func() { m.signIn("alice", "rt-a", "at-a") })
			fresh := newMSALClient(t, openPlain(t, loc, false, nil), nil)
			accounts, err := fresh.Accounts(t.Context())
			require.NoError(t, err)
			require.Len(t, accounts, 1)
			assert.Equal(t, "alice@contoso.com", accounts[0].PreferredUsername)
		})
	}
}

// countingStorage counts reads of the storage it wraps.
type countingStorage struct {
	*fileStorage
	reads atomic.Int32
}

func (s *countingStorage) Read(ctx context.Context) ([]byte, error) {
	s.reads.Add(1)
	return s.fileStorage.Read(ctx)
}

func TestStorageIsReadOnlyWhenItChanged(t *testing.T) {
	loc := plaintextLoc(t)
	s := &countingStorage{fileStorage: newFileStorage(loc.Path(false), nil, true)}
	c := openStore(t, over(s), nil).Mode(false)
	m := &fakeMSAL{}
	ctx := t.Context()

	for range 5 {
		require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
	}
	assert.EqualValues(t, 1, s.reads.Load(), "a missing file is read once")

	// Our own write is neither read under the lock (nobody changed the
	// file since we read it) nor read back.
	m.signIn("alice", "rt-1", "at-1")
	require.NoError(t, c.Export(ctx, m, cache.ExportHints{}))
	for range 5 {
		require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
	}
	assert.EqualValues(t, 1, s.reads.Load(), "our own write was read")

	// Another process's writes are read, once each, even two in a row
	// within one clock tick and of the same size.
	other := openPlain(t, loc, false, nil)
	om := &fakeMSAL{}
	for i, rt := range []string{"rt-2", "rt-3"} {
		roundTrip(t, other, om, func() { om.signIn("alice", rt, "at-1") })
		before := s.reads.Load()
		require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
		require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
		assert.Equal(t, before+1, s.reads.Load(), "write %d", i)
		assert.Equal(t, rt, m.secret(sectionRefreshToken, "alice"))
	}

	// A write after another process's is a merge: storage is read under
	// the lock, once.
	roundTrip(t, other, om, func() { om.signIn("bob", "rt-b", "at-b") })
	before := s.reads.Load()
	m.signIn("carol", "rt-c", "at-c")
	require.NoError(t, c.Export(ctx, m, cache.ExportHints{}))
	assert.Equal(t, before+1, s.reads.Load())
	got := stored(t, loc, false)
	for _, user := range []string{"alice", "bob", "carol"} {
		assert.NotEmpty(t, got.secret(sectionRefreshToken, user), user)
	}
}

func TestMemoryCacheIsTheZeroPersistence(t *testing.T) {
	var p Cache
	assert.True(t, p.IsZero())
	assert.Equal(t, "in-memory token cache", p.String())
	s := openStore(t, p, nil)
	m := &fakeMSAL{}
	roundTrip(t, s.Mode(false), m, func() { m.signIn("alice", "rt-1", "at-1") })
	mb := &fakeMSAL{}
	require.NoError(t, s.Mode(true).Replace(t.Context(), mb, cache.ReplaceHints{}))
	assert.Equal(t, "rt-1", mb.secret(sectionRefreshToken, "alice"))
	assert.Empty(t, mb.data[sectionAccessToken])
}
