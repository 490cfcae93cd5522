//go:build linux

package tokencache

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kwallet models KWallet's Secret Service (KDE/kwallet ksecretd,
// kwalletfreedesktop*.cpp) with its default wallet closed:
//   - Service.SearchItems lists a closed wallet's items as locked (unless
//     listsClosedAsOpen, a service that would list them as unlocked, to
//     check that an empty read alone is never taken for an empty cache);
//   - Collection.SearchItems (served at the collection's path and at
//     /org/freedesktop/secrets/aliases/default) lists them whether the
//     wallet is open or not (they come from the wallet's attributes file);
//   - Item.GetSecret doesn't check the lock: on a closed wallet (handle -1)
//     the backend reads nothing and the call succeeds with an empty value;
//   - Locked (of the collection and of the item) is true until Unlock;
//     Unlock opens the wallet without a prompt
//     when canUnlock (a wallet whose unlock needs no password here), and
//     otherwise unlocks nothing and offers no prompt (no display).
type kwallet struct {
	mu                sync.Mutex // guards the fields below
	listsClosedAsOpen bool
	open              bool
	canUnlock         bool
	value             []byte // the CAE mode's item: its key, or Python's item
	noCAEKey          []byte
}

const (
	kwalletColl  = dbus.ObjectPath("/org/freedesktop/secrets/collection/kdewallet")
	kwalletItem  = kwalletColl + "/0"
	kwalletNoCAE = kwalletColl + "/1"
	// the default collection's path through its alias
	defaultAliasPath = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
)

func (w *kwallet) isOpen() bool { w.mu.Lock(); defer w.mu.Unlock(); return w.open }

type kwalletService struct{ w *kwallet }

func (kwalletService) OpenSession(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	return dbus.MakeVariant(""), "/org/freedesktop/secrets/session/1", nil
}

// kwalletItemOf returns the item attrs select: the CAE mode's (its key, or
// the CAE item of Python's layout) or the non-CAE key; "" for any other.
func kwalletItemOf(attrs map[string]string) dbus.ObjectPath {
	switch {
	case strings.HasSuffix(attrs[keyCacheAttr], ".cae") || strings.HasSuffix(attrs[xdgSchemaAttr], ".cae"):
		return kwalletItem
	case strings.HasSuffix(attrs[keyCacheAttr], ".nocae"):
		return kwalletNoCAE
	}
	return ""
}

func (s kwalletService) SearchItems(attrs map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	item := kwalletItemOf(attrs)
	if item == "" {
		return []dbus.ObjectPath{}, []dbus.ObjectPath{}, nil
	}
	if s.w.isOpen() || s.w.listsClosedAsOpen {
		return []dbus.ObjectPath{item}, []dbus.ObjectPath{}, nil
	}
	return []dbus.ObjectPath{}, []dbus.ObjectPath{item}, nil
}

func (kwalletService) ReadAlias(string) (dbus.ObjectPath, *dbus.Error) { return kwalletColl, nil }

func (s kwalletService) Unlock(paths []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if !s.w.canUnlock {
		return []dbus.ObjectPath{}, nullPath, nil
	}
	s.w.open = true
	return paths, nullPath, nil
}

type kwalletCollection struct{ w *kwallet }

func (kwalletCollection) SearchItems(map[string]string) ([]dbus.ObjectPath, *dbus.Error) {
	return []dbus.ObjectPath{kwalletItem}, nil
}

// CreateItem stores the value (of Python's items, only the CAE one exists in
// this fake).
func (c kwalletCollection) CreateItem(props map[string]dbus.Variant, s secretValue, _ bool) (dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	if !c.w.open {
		return "/", "/", dbus.NewError("org.freedesktop.Secret.Error.IsLocked", []any{"closed"})
	}
	attrs, _ := props[ssItem+".Attributes"].Value().(map[string]string)
	item := kwalletItemOf(attrs)
	switch item {
	case kwalletItem:
		c.w.value = s.Value
	case kwalletNoCAE:
		c.w.noCAEKey = s.Value
	}
	return item, "/", nil
}

type kwalletProps struct{ w *kwallet }

func (p kwalletProps) Get(string, string) (dbus.Variant, *dbus.Error) {
	return dbus.MakeVariant(!p.w.isOpen()), nil
}

type kwalletItemObject struct {
	w   *kwallet
	cae bool
}

func (i kwalletItemObject) GetSecret(session dbus.ObjectPath) (secretValue, *dbus.Error) {
	i.w.mu.Lock()
	defer i.w.mu.Unlock()
	v := []byte{}
	if i.w.open {
		v = i.w.value
		if !i.cae {
			v = i.w.noCAEKey
		}
	}
	return secretValue{Session: session, Parameters: []byte{}, Value: v, ContentType: "text/plain"}, nil
}

func serveKWallet(t *testing.T, w *kwallet) {
	t.Helper()
	keyringtest.BareBus(t)
	conn, err := dbus.ConnectSessionBus()
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.Export(kwalletService{w}, ssPath, ssService))
	for _, p := range []dbus.ObjectPath{kwalletColl, defaultAliasPath} {
		require.NoError(t, conn.Export(kwalletCollection{w}, p, ssCollection))
		require.NoError(t, conn.Export(kwalletProps{w}, p, "org.freedesktop.DBus.Properties"))
	}
	for item, cae := range map[dbus.ObjectPath]bool{kwalletItem: true, kwalletNoCAE: false} {
		require.NoError(t, conn.Export(kwalletItemObject{w, cae}, item, ssItem))
		require.NoError(t, conn.Export(kwalletProps{w}, item, "org.freedesktop.DBus.Properties"))
	}
	reply, err := conn.RequestName(ssBusName, dbus.NameFlagDoNotQueue)
	require.NoError(t, err)
	require.Equal(t, dbus.RequestNameReplyPrimaryOwner, reply)
}

// A closed default wallet that can't be opened here (no display) fails the
// check, so that AllowUnencryptedStorage falls back to files: its items are
// listed as locked, and GetSecret "succeeding" with nothing (which it does
// at the default collection's alias path too, where a search lists them
// whether the wallet is open or not) mustn't pass for a read.
func TestSecretServiceCheckOfAClosedKWallet(t *testing.T) {
	w := &kwallet{value: []byte(`{"RefreshToken":{"k":{"secret":"rt"}}}`)}
	serveKWallet(t, w)
	_, err := Encrypted(t.Context(), Location{Dir: t.TempDir(), Name: "kwallet.cache", OwnDir: true})
	var ue *UnavailableError
	assert.ErrorAs(t, err, &ue, "the check passed on a closed wallet that can't be opened")
}

// A closed default wallet that can be opened (Unlock opens it without a
// prompt here, as after the user types the password). The closed wallet's
// empty GetSecret, taken for an empty cache, would have the new process's
// first write replace the item with its own account alone. This is the loss
// TestSecretServiceLockedKeePassXCKeepsTheCache guards against, on KWallet;
// listsClosedAsOpen checks that an empty read alone isn't taken for an
// empty cache.
func TestSecretServiceClosedKWalletKeepsTheCache(t *testing.T) {
	for _, listsClosedAsOpen := range []bool{false, true} {
		t.Run(map[bool]string{false: "closed items listed as locked", true: "closed items listed as unlocked"}[listsClosedAsOpen], func(t *testing.T) {
			closedKWalletKeepsTheCache(t, listsClosedAsOpen)
		})
	}
}

func closedKWalletKeepsTheCache(t *testing.T, listsClosedAsOpen bool) {
	w := &kwallet{open: true, canUnlock: true}
	serveKWallet(t, w)
	loc := Location{Dir: filepath.Join(t.TempDir(), ".IdentityService"), Name: "kwallet.cache", OwnDir: true}

	m := &fakeMSAL{}
	roundTrip(t, openEncryptedCache(t, loc, true), m, func() { m.signIn("alice", "rt-alice", "at-alice") })
	w.mu.Lock()
	require.NotEmpty(t, w.value)
	w.open = false // the wallet closed (idle timeout, screen lock, a new session)
	w.listsClosedAsOpen = listsClosedAsOpen
	w.mu.Unlock()

	p, err := Encrypted(t.Context(), loc)
	require.NoError(t, err)
	got := &fakeMSAL{}
	c := openStore(t, p, nil).Mode(true)
	roundTrip(t, c, got, func() { got.signIn("bob", "rt-bob", "at-bob") })
	assert.Equal(t, "rt-alice", got.secret(sectionRefreshToken, "alice"), "the first load found the cache")

	after := &fakeMSAL{}
	require.NoError(t, openEncryptedCache(t, loc, true).Replace(t.Context(), after, cache.ReplaceHints{}))
	assert.Equal(t, "rt-alice", after.secret(sectionRefreshToken, "alice"), "alice's tokens survived bob's sign-in")
}

// The wallet closes after cache.New's check opened it (an idle timeout), on
// a service that lists its items as unlocked: the read gets GetSecret's
// empty value, and fails rather than reading an empty cache, so the write
// that follows a sign-in keeps what the item holds.
func TestSecretServiceEmptyReadOfAClosedKWalletIsNoCache(t *testing.T) {
	w := &kwallet{open: true, value: []byte(`{"RefreshToken":{"k":{"secret":"rt-alice"}}}`)}
	serveKWallet(t, w)
	loc := Location{Dir: filepath.Join(t.TempDir(), ".IdentityService"), Name: "kwallet.cache", OwnDir: true}
	s := newSecretService(loc.modeName(true))
	got, err := s.read(t.Context())
	require.NoError(t, err)
	require.Equal(t, w.value, got, "the wallet open")

	w.mu.Lock()
	w.open, w.listsClosedAsOpen = false, true
	w.mu.Unlock()
	got, err = s.read(t.Context())
	assert.ErrorIs(t, err, errLocked)
	assert.Nil(t, got)
}

// An alias path can name another collection than ReadAlias does (KWallet
// after the default wallet is changed in System Settings, which rewrites
// kwalletrc: ReadAlias reads it again, the object at the alias path stays
// where ksecretd registered it at start; oo7-daemon after SetAlias). The
// item is open in the collection at the alias path; the collection that
// ReadAlias names, where writes go, is locked and can't be unlocked: the
// check fails.
type staleAliasService struct{}

const (
	staleColl   = dbus.ObjectPath("/org/freedesktop/secrets/collection/kdewallet")
	staleItem   = staleColl + "/0"
	currentColl = dbus.ObjectPath("/org/freedesktop/secrets/collection/work")
)

func (staleAliasService) OpenSession(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	return dbus.MakeVariant(""), "/org/freedesktop/secrets/session/1", nil
}

func (staleAliasService) SearchItems(map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	return []dbus.ObjectPath{staleItem}, []dbus.ObjectPath{}, nil
}

func (staleAliasService) ReadAlias(string) (dbus.ObjectPath, *dbus.Error) { return currentColl, nil }

func (staleAliasService) Unlock([]dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	return []dbus.ObjectPath{}, nullPath, nil
}

type staleAliasCollection struct{}

func (staleAliasCollection) SearchItems(map[string]string) ([]dbus.ObjectPath, *dbus.Error) {
	return []dbus.ObjectPath{staleItem}, nil
}

type staleAliasItem struct{}

func (staleAliasItem) GetSecret(session dbus.ObjectPath) (secretValue, *dbus.Error) {
	return secretValue{Session: session, Parameters: []byte{}, Value: []byte(`{"RefreshToken":{}}`), ContentType: "text/plain"}, nil
}

type lockedProps struct{}

func (lockedProps) Get(string, string) (dbus.Variant, *dbus.Error) {
	return dbus.MakeVariant(true), nil
}

func TestSecretServiceCheckFollowsReadAliasNotTheAliasPath(t *testing.T) {
	keyringtest.BareBus(t)
	conn, err := dbus.ConnectSessionBus()
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.Export(staleAliasService{}, ssPath, ssService))
	require.NoError(t, conn.Export(staleAliasCollection{}, staleColl, ssCollection))
	require.NoError(t, conn.Export(staleAliasCollection{}, defaultAliasPath, ssCollection))
	require.NoError(t, conn.Export(staleAliasItem{}, staleItem, ssItem))
	require.NoError(t, conn.Export(lockedProps{}, currentColl, "org.freedesktop.DBus.Properties"))
	reply, err := conn.RequestName(ssBusName, dbus.NameFlagDoNotQueue)
	require.NoError(t, err)
	require.Equal(t, dbus.RequestNameReplyPrimaryOwner, reply)

	_, err = Encrypted(t.Context(), Location{Dir: t.TempDir(), Name: "stale.cache", OwnDir: true})
	var ue *UnavailableError
	assert.ErrorAs(t, err, &ue, "writes go to ReadAlias's collection, which is locked and can't be unlocked")
}
