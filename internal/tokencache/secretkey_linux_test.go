//go:build linux

package tokencache

import (
	"fmt"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyItems returns the paths of the key items of both modes of loc.
func keyItems(t *testing.T, loc Location) []dbus.ObjectPath {
	t.Helper()
	var items []dbus.ObjectPath
	require.NoError(t, withSecretService(t.Context(), func(c *ssConn) error {
		unlocked, locked, err := c.search(t.Context(), map[string]string{xdgSchemaAttr: keySchema})
		for _, p := range append(unlocked, locked...) {
			v, err := c.property(t.Context(), p, ssItem, "Attributes")
			if err != nil {
				return err
			}
			if attrs, _ := v.Value().(map[string]string); strings.HasPrefix(attrs[keyCacheAttr], loc.Name+".") {
				items = append(items, p)
			}
		}
		return err
	}))
	return items
}

// deleteKeys deletes loc's key items, as a user resetting the keyring does.
func deleteKeys(t *testing.T, loc Location) {
	t.Helper()
	for _, p := range keyItems(t, loc) {
		require.NoError(t, withSecretService(t.Context(), func(c *ssConn) error {
			var prompt dbus.ObjectPath
			return c.call(t.Context(), p, ssItem+".Delete").Store(&prompt)
		}))
	}
}

// Two processes that found no key when they opened the cache both write: the
// first makes each mode's key, the second finds and uses it rather than
// replacing it, and a third reads what both wrote.
func TestSecretServiceKeyIsMadeOnceAndFoundByLaterWriters(t *testing.T) {
	k := keyringtest.Start(t)
	loc := secretLoc(k, "keys.cache")
	a, b := openEncryptedCache(t, loc, true), openEncryptedCache(t, loc, true)
	ma, mb := &fakeMSAL{}, &fakeMSAL{}
	roundTrip(t, a, ma, func() { ma.signIn("alice", "rt-alice", "at-alice") })
	roundTrip(t, b, mb, func() { mb.signIn("bob", "rt-bob", "at-bob") })
	assert.Len(t, keyItems(t, loc), 2, "one key per CAE mode")

	for _, cae := range []bool{false, true} {
		got := &fakeMSAL{}
		require.NoError(t, openEncryptedCache(t, loc, cae).Replace(t.Context(), got, cache.ReplaceHints{}))
		assert.Equal(t, "rt-alice", got.secret(sectionRefreshToken, "alice"), "cae=%v", cae)
		assert.Equal(t, "rt-bob", got.secret(sectionRefreshToken, "bob"), "cae=%v", cae)
	}
}

// cache.New reads the keys, so a process that then reads its cache asks the
// Secret Service nothing more. Having found them, it needn't check the
// default collection, and both reads share one transfer session.
func TestSecretServiceKeysAreReadOnceByCacheNew(t *testing.T) {
	k := keyringtest.Start(t)
	loc := secretLoc(k, "once.cache")
	m := &fakeMSAL{}
	roundTrip(t, openEncryptedCache(t, loc, true), m, func() { m.signIn("alice", "rt-alice", "at-alice") })

	var s *Store
	opened := serviceCalls(t, func() { s = openEncryptedStore(t, loc) })
	assert.Equal(t, 2, strings.Count(strings.Join(opened, " "), "GetSecret"), "cache.New reads both keys: %q", opened)
	assert.Equal(t, 1, strings.Count(strings.Join(opened, " "), "OpenSession"), "%q", opened)
	assert.NotContains(t, opened, "ReadAlias")
	got := &fakeMSAL{}
	calls := serviceCalls(t, func() {
		for _, cae := range []bool{true, false} {
			require.NoError(t, s.Mode(cae).Replace(t.Context(), got, cache.ReplaceHints{}))
			assert.Equal(t, "rt-alice", got.secret(sectionRefreshToken, "alice"), "cae=%v", cae)
		}
	})
	assert.Empty(t, calls, "reading both modes asked the Secret Service")
}

// A user resets the keyring while a process runs; another process writes
// with a new key. The first, whose remembered key doesn't match the file's,
// asks the Secret Service again and reads the new file. A process that finds
// a file and no key warns, and reads an empty cache.
func TestSecretServiceKeyReplacedWhileAProcessRuns(t *testing.T) {
	k := keyringtest.Start(t)
	loc := secretLoc(k, "reset.cache")
	first := openEncryptedCache(t, loc, true)
	m := &fakeMSAL{}
	roundTrip(t, first, m, func() { m.signIn("alice", "rt-alice", "at-alice") })
	deleteKeys(t, loc)

	w := &warnings{}
	p, err := Encrypted(t.Context(), loc)
	require.NoError(t, err)
	other := openStore(t, p, w).Mode(true)
	mo := &fakeMSAL{}
	roundTrip(t, other, mo, func() { mo.signIn("bob", "rt-bob", "at-bob") })
	assert.Empty(t, mo.secret(sectionRefreshToken, "alice"), "alice's file can't be read without its key")
	require.Len(t, w.all(), 2, "a warning per mode: %q", w.all())
	for _, msg := range w.all() {
		assert.Contains(t, msg, "the Secret Service no longer holds its key")
	}
	assert.Len(t, keyItems(t, loc), 2)

	got := &fakeMSAL{}
	require.NoError(t, first.Replace(t.Context(), got, cache.ReplaceHints{}))
	assert.Equal(t, "rt-bob", got.secret(sectionRefreshToken, "bob"), "the first process reads the new key's file")
}

// Nothing prints a key's bytes.
func TestSecretKeyFormatHidesItsBytes(t *testing.T) {
	key, err := parseSecretKey([]byte("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="))
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		out := fmt.Sprintf(verb, key)
		assert.NotContains(t, out, "ABCDEF", verb)
		assert.NotContains(t, out, "414243", verb)
		assert.Equal(t, "token cache key "+key.kid, out, verb)
	}
	_, err = parseSecretKey([]byte("c2hvcnQ="))
	require.ErrorContains(t, err, "isn't 32 bytes")
}
