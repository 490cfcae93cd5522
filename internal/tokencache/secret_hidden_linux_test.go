//go:build linux

package tokencache

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gnome-keyring hides a locked keyring's items only when it loaded the
// keyring locked (a restarted daemon). A keyring locked in use (Lock, as
// Seahorse, a suspend hook or an idle timeout does) still lists them, as
// locked: there, a search that finds nothing means the item is absent, and
// the read asks nobody to unlock the keyring (found by review: the first
// version of findHidden prompted, or with no display failed with
// errLocked, for a cache that doesn't exist).
func TestSecretServiceAbsentItemInAKeyringLockedInUseIsNoCache(t *testing.T) {
	keyringtest.Start(t)
	present := newSecretService("present.cae")
	require.NoError(t, present.write(t.Context(), []byte("the cache")))

	conn, err := dbus.ConnectSessionBus()
	require.NoError(t, err)
	defer conn.Close()
	svc := conn.Object(ssBusName, ssPath)
	var coll, prompt dbus.ObjectPath
	var locked, open, closed []dbus.ObjectPath
	require.NoError(t, svc.Call(ssService+".ReadAlias", 0, "default").Store(&coll))
	require.NoError(t, svc.Call(ssService+".Lock", 0, []dbus.ObjectPath{coll}).Store(&locked, &prompt))
	require.NoError(t, svc.Call(ssService+".SearchItems", 0, present.attrs).Store(&open, &closed))
	require.Len(t, closed, 1, "gnome-keyring lists the items of a keyring locked in use, as locked")

	var got []byte
	calls := serviceCalls(t, func() { got, err = newSecretService("absent.cae").read(t.Context()) })
	assert.NoError(t, err, "an absent item is no cache")
	assert.Nil(t, got)
	assert.NotContains(t, calls, "Prompt", "no prompt to unlock a keyring for an item it doesn't hold; calls: %v", calls)
}

// hiddenService is a Secret Service that, like gnome-keyring restarted,
// hides the items of its locked default collection from a search by their
// schema. Unlock
// succeeds at once when canUnlock, and otherwise offers a prompt that
// never completes (the user hasn't answered yet), recording Dismiss.
type hiddenService struct {
	mu        sync.Mutex
	locked    bool
	canUnlock bool
	values    map[string][]byte // by xdg:schema
	dismissed bool
	prompted  chan struct{} // if set, told when a prompt is shown
}

const (
	hiddenColl   = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	hiddenPrompt = dbus.ObjectPath("/org/freedesktop/secrets/prompt/p1")
)

func (h *hiddenService) OpenSession(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	return dbus.MakeVariant(""), "/org/freedesktop/secrets/session/1", nil
}

func (h *hiddenService) SearchItems(attrs map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.locked {
		// As gnome-keyring restarted: xdg:schema is a placeholder, so a
		// search by it finds nothing; one by the client ID alone lists
		// the item, locked.
		if _, bySchema := attrs[xdgSchemaAttr]; bySchema || len(h.values) == 0 {
			return []dbus.ObjectPath{}, []dbus.ObjectPath{}, nil
		}
		return []dbus.ObjectPath{}, []dbus.ObjectPath{hiddenColl + "/1"}, nil
	}
	if _, ok := h.values[attrs[xdgSchemaAttr]]; !ok {
		return []dbus.ObjectPath{}, []dbus.ObjectPath{}, nil
	}
	return []dbus.ObjectPath{hiddenColl + "/1"}, []dbus.ObjectPath{}, nil
}

func (h *hiddenService) ReadAlias(string) (dbus.ObjectPath, *dbus.Error) { return hiddenColl, nil }

func (h *hiddenService) Unlock(objs []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.canUnlock {
		return []dbus.ObjectPath{}, hiddenPrompt, nil
	}
	h.locked = false
	return objs, nullPath, nil
}

type hiddenProps struct{ h *hiddenService }

func (p hiddenProps) Get(string, string) (dbus.Variant, *dbus.Error) {
	p.h.mu.Lock()
	defer p.h.mu.Unlock()
	return dbus.MakeVariant(p.h.locked), nil
}

type hiddenItem struct{ h *hiddenService }

func (i hiddenItem) GetSecret(session dbus.ObjectPath) (secretValue, *dbus.Error) {
	i.h.mu.Lock()
	defer i.h.mu.Unlock()
	return secretValue{Session: session, Parameters: []byte{}, Value: i.h.values["hidden.cae"], ContentType: "text/plain"}, nil
}

type hiddenPromptObject struct{ h *hiddenService }

func (p hiddenPromptObject) Prompt(string) *dbus.Error {
	if p.h.prompted != nil {
		p.h.prompted <- struct{}{}
	}
	return nil
}

func (p hiddenPromptObject) Dismiss() *dbus.Error {
	p.h.mu.Lock()
	defer p.h.mu.Unlock()
	p.h.dismissed = true
	return nil
}

func serveHidden(t *testing.T, h *hiddenService) {
	t.Helper()
	keyringtest.BareBus(t)
	conn, err := dbus.ConnectSessionBus()
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.Export(h, ssPath, ssService))
	require.NoError(t, conn.Export(hiddenProps{h}, hiddenColl, "org.freedesktop.DBus.Properties"))
	require.NoError(t, conn.Export(hiddenItem{h}, hiddenColl+"/1", ssItem))
	require.NoError(t, conn.Export(hiddenPromptObject{h}, hiddenPrompt, ssPrompt))
	reply, err := conn.RequestName(ssBusName, dbus.NameFlagDoNotQueue)
	require.NoError(t, err)
	require.Equal(t, dbus.RequestNameReplyPrimaryOwner, reply)
}

// A hidden item, with an unlock that succeeds: found after unlocking, and
// read.
func TestSecretServiceHiddenItemIsReadAfterUnlocking(t *testing.T) {
	h := &hiddenService{locked: true, canUnlock: true, values: map[string][]byte{"hidden.cae": []byte("the cache")}}
	serveHidden(t, h)
	got, err := newSecretService("hidden.cae").read(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "the cache", string(got))
}

// ctx ending while an unlock prompt is up: the read ends with ctx's error
// at once, and the prompt is dismissed, as libsecret does when its caller
// cancels (found by review: it was left up).
func TestSecretServiceCancelDismissesThePrompt(t *testing.T) {
	h := &hiddenService{locked: true, values: map[string][]byte{"hidden.cae": []byte("the cache")}, prompted: make(chan struct{}, 1)}
	serveHidden(t, h)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := newSecretService("hidden.cae").read(ctx)
		done <- err
	}()
	<-h.prompted
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("the read didn't end with its context")
	}
	assert.Eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.dismissed
	}, 5*time.Second, 10*time.Millisecond, "the prompt left on screen after the read gave up")
}

// The same through a Store: cache.New's check passed on an unlocked
// keyring, which was then locked in use (no display here, or the user
// dismisses each prompt), and a sign-in finishes (MSAL's Replace and
// Export, in a Begin context as msalBackend makes them): two prompts (each
// part's CreateItem) and one warning, "can't be saved", and no warning
// that a cache that doesn't exist "can't be read" (the first version of
// findHidden made it three prompts, the Replace's read and each part's read
// in its read-modify-write, which then never reached CreateItem).
func TestSecretServiceSignInIntoAKeyringLockedInUsePromptsNoMore(t *testing.T) {
	k := keyringtest.Start(t)
	p, err := Encrypted(t.Context(), Location{Dir: filepath.Join(k.Home, ".IdentityService"), Name: "locked.cache", OwnDir: true})
	require.NoError(t, err)
	w := &warnings{}
	st := openStore(t, p, w)

	conn, err := dbus.ConnectSessionBus()
	require.NoError(t, err)
	defer conn.Close()
	svc := conn.Object(ssBusName, ssPath)
	var coll, prompt dbus.ObjectPath
	var locked []dbus.ObjectPath
	require.NoError(t, svc.Call(ssService+".ReadAlias", 0, "default").Store(&coll))
	require.NoError(t, svc.Call(ssService+".Lock", 0, []dbus.ObjectPath{coll}).Store(&locked, &prompt))

	m := &fakeMSAL{}
	calls := serviceCalls(t, func() {
		ctx := st.Begin(t.Context(), 0, []string{"scope"})
		require.NoError(t, st.Mode(true).Replace(ctx, m, cache.ReplaceHints{}))
		m.signIn("alice", "rt-alice", "at-alice")
		require.NoError(t, st.Mode(true).Export(ctx, m, cache.ExportHints{}))
	})
	prompts := 0
	for _, c := range calls {
		if c == "Prompt" {
			prompts++
		}
	}
	assert.LessOrEqual(t, prompts, 2, "prompts for one sign-in; calls: %v", calls)
	for _, msg := range w.all() {
		assert.NotContains(t, msg, "can't be read", "no cache exists to be read")
	}
}
