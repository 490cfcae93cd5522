//go:build linux

package tokencache

import (
	"encoding/hex"
	"path/filepath"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeKeePassXC is a Secret Service that, like KeePassXC
// (fdosecrets/objects/Collection.cpp, searchItems: "there's no database at
// all when locked"), finds no items at all, locked or not, in a locked
// database. Unlock succeeds at once (the user typed the password).
type fakeKeePassXC struct {
	mu     sync.Mutex
	locked bool
	values map[string][]byte // by fakeName
}

const fakeColl = dbus.ObjectPath("/org/freedesktop/secrets/collection/db")

// fakeName names the item attrs select: by schema, and a key by its cache.
func fakeName(attrs map[string]string) string {
	return attrs[xdgSchemaAttr] + "/" + attrs[keyCacheAttr]
}

// fakeItem is the item named name.
func fakeItem(name string) dbus.ObjectPath {
	return fakeColl + "/" + dbus.ObjectPath(hex.EncodeToString([]byte(name)))
}

func (f *fakeKeePassXC) OpenSession(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	return dbus.MakeVariant(""), "/org/freedesktop/secrets/session/1", nil
}

func (f *fakeKeePassXC) SearchItems(attrs map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.values[fakeName(attrs)]; f.locked || !ok {
		return []dbus.ObjectPath{}, []dbus.ObjectPath{}, nil
	}
	return []dbus.ObjectPath{fakeItem(fakeName(attrs))}, []dbus.ObjectPath{}, nil
}

func (f *fakeKeePassXC) ReadAlias(string) (dbus.ObjectPath, *dbus.Error) { return fakeColl, nil }

func (f *fakeKeePassXC) Unlock(objs []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.locked = false
	return objs, "/", nil
}

type fakeProps struct{ f *fakeKeePassXC }

func (p fakeProps) Get(string, string) (dbus.Variant, *dbus.Error) {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	return dbus.MakeVariant(p.f.locked), nil
}

type fakeCollection struct{ f *fakeKeePassXC }

func (c fakeCollection) CreateItem(props map[string]dbus.Variant, s secretValue, _ bool) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	attrs, _ := props[ssItem+".Attributes"].Value().(map[string]string)
	c.f.values[fakeName(attrs)] = s.Value
	return fakeItem(fakeName(attrs)), "/", nil
}

type fakeItemObject struct {
	f    *fakeKeePassXC
	name string
}

func (i fakeItemObject) GetSecret(session dbus.ObjectPath) (secretValue, *dbus.Error) {
	i.f.mu.Lock()
	defer i.f.mu.Unlock()
	return secretValue{Session: session, Parameters: []byte{}, Value: i.f.values[i.name], ContentType: "text/plain"}, nil
}

// With KeePassXC's database locked when cache.New runs, a search finds no
// item (none is listed, not even as locked): the check unlocks the database
// before any read, so the first load finds the cache. Found by review: a
// check that read the cache before unlocking kept "no cache", so the first
// load served an empty cache although the item was there, and the first
// write replaced the item with its own account alone.
func TestSecretServiceLockedKeePassXCKeepsTheCache(t *testing.T) {
	keyringtest.BareBus(t)
	conn, err := dbus.ConnectSessionBus()
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	f := &fakeKeePassXC{values: map[string][]byte{}}
	loc := Location{Dir: filepath.Join(t.TempDir(), ".IdentityService"), Name: "kpxc.cache", OwnDir: true}
	require.NoError(t, conn.Export(f, ssPath, ssService))
	require.NoError(t, conn.Export(fakeProps{f}, fakeColl, "org.freedesktop.DBus.Properties"))
	require.NoError(t, conn.Export(fakeCollection{f}, fakeColl, ssCollection))
	for _, cae := range []bool{false, true} {
		for _, attrs := range []map[string]string{newSecretKeys(loc, cae).attrs, newSecretService(loc.modeName(cae)).attrs} {
			require.NoError(t, conn.Export(fakeItemObject{f, fakeName(attrs)}, fakeItem(fakeName(attrs)), ssItem))
		}
	}
	reply, err := conn.RequestName(ssBusName, dbus.NameFlagDoNotQueue)
	require.NoError(t, err)
	require.Equal(t, dbus.RequestNameReplyPrimaryOwner, reply)

	m := &fakeMSAL{}
	roundTrip(t, openEncryptedCache(t, loc, true), m, func() { m.signIn("alice", "rt-alice", "at-alice") })
	f.mu.Lock()
	require.NotEmpty(t, f.values[fakeName(newSecretKeys(loc, true).attrs)], "the key is stored")
	f.locked = true // the user locked the database (or KeePassXC started locked)
	f.mu.Unlock()

	p, err := Encrypted(t.Context(), loc) // cache.New: unlocks the database
	require.NoError(t, err)
	got := &fakeMSAL{}
	c := openStore(t, p, nil).Mode(true)
	roundTrip(t, c, got, func() { got.signIn("bob", "rt-bob", "at-bob") })
	assert.Equal(t, "rt-alice", got.secret(sectionRefreshToken, "alice"), "the first load found the cache")

	after := &fakeMSAL{}
	require.NoError(t, openEncryptedCache(t, loc, true).Replace(t.Context(), after, cache.ReplaceHints{}))
	assert.Equal(t, "rt-alice", after.secret(sectionRefreshToken, "alice"), "alice's tokens survived bob's sign-in")
}
