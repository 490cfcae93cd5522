//go:build linux

package tokencache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/godbus/dbus/v5"
)

// The Secret Service API (freedesktop.org), which GNOME Keyring, KWallet and
// KeePassXC provide on the session D-Bus:
// https://specifications.freedesktop.org/secret-service-spec/latest/
const (
	ssBusName    = "org.freedesktop.secrets"
	ssPath       = dbus.ObjectPath("/org/freedesktop/secrets")
	ssService    = "org.freedesktop.Secret.Service"
	ssCollection = "org.freedesktop.Secret.Collection"
	ssItem       = "org.freedesktop.Secret.Item"
	ssPrompt     = "org.freedesktop.Secret.Prompt"
	nullPath     = dbus.ObjectPath("/") // the API's "none": no prompt needed, no such collection
)

// secretValue is the Secret struct of the API: (oayays).
type secretValue struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// ssConn is one conversation with the Secret Service over a private bus
// connection. Each operation has its own, so nothing lingers.
type ssConn struct {
	conn      *dbus.Conn
	prompting atomic.Pointer[dbus.ObjectPath] // the prompt up, if any: dismissed when the caller's ctx ends
	session   dbus.ObjectPath                 // opened at the first transfer of a secret
}

// withSecretService runs f over a fresh connection to the Secret Service.
func withSecretService(ctx context.Context, f func(*ssConn) error) (err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = ctx.Err() // not "closed network connection"
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	addr, err := sessionBusAddress()
	if err != nil {
		return err
	}
	conn, err := dbus.Dial(addr)
	if err != nil {
		return &secretServiceError{"can't connect to the D-Bus session bus at " + addr, err}
	}
	// The connection closes when ctx ends, which ends any call on it, or when
	// f returns. A prompt up is dismissed first, as libsecret does, so that
	// no dialog outlives the call that asked.
	c := &ssConn{conn: conn}
	shut := sync.OnceFunc(func() { c.dismissPrompt(); _ = conn.Close() })
	defer shut()
	defer context.AfterFunc(ctx, shut)()
	if err := conn.Auth(nil); err != nil {
		return &secretServiceError{"can't authenticate to the D-Bus session bus at " + addr, err}
	}
	// dbus-daemon refuses Hello when the user has too many connections.
	if err := conn.Hello(); err != nil {
		return &secretServiceError{"the D-Bus session bus at " + addr + " refused this process", err}
	}
	if err := c.register(ctx); err != nil {
		return classify(err)
	}
	if err := f(c); err != nil {
		return classify(err)
	}
	return nil
}

// register makes sure the service knows this connection before it is asked
// anything that matters. gnome-keyring registers a client on an idle of its
// main loop that the client's first call can beat, and that call then finds
// no collection (ReadAlias answers "/") or fails as not implemented; a call
// that follows one answered is served (gkd-secret-service.c,
// service_message_filter). A search that matches nothing is asked until it
// is answered (twice at most); services without the race answer at once.
func (c *ssConn) register(ctx context.Context) error {
	var err error
	for range 3 {
		_, _, err = c.search(ctx, map[string]string{msalClientIDAttr: "azinteractive.register"})
		var de dbus.Error
		if !errors.As(err, &de) || de.Name != "org.freedesktop.DBus.Error.UnknownMethod" {
			return err
		}
	}
	return err
}

func (c *ssConn) call(ctx context.Context, p dbus.ObjectPath, method string, args ...any) *dbus.Call {
	return c.conn.Object(ssBusName, p).CallWithContext(ctx, method, 0, args...)
}

// openSession opens a "plain" transfer session, once per connection: the
// bus is the user's own, so an encrypted one would hide the secret only from
// processes that run as the user and could read it anyway.
func (c *ssConn) openSession(ctx context.Context) (dbus.ObjectPath, error) {
	if c.session != "" {
		return c.session, nil
	}
	var ignored dbus.Variant
	err := c.call(ctx, ssPath, ssService+".OpenSession", "plain", dbus.MakeVariant("")).Store(&ignored, &c.session)
	return c.session, err
}

// search returns the items matching attrs in every collection.
func (c *ssConn) search(ctx context.Context, attrs map[string]string) (unlocked, locked []dbus.ObjectPath, err error) {
	err = c.call(ctx, ssPath, ssService+".SearchItems", attrs).Store(&unlocked, &locked)
	return unlocked, locked, err
}

// find returns the first item matching attrs, or "", unlocking a locked one
// (which may prompt), as libsecret's lookup does.
func (c *ssConn) find(ctx context.Context, attrs map[string]string) (dbus.ObjectPath, error) {
	unlocked, locked, err := c.search(ctx, attrs)
	switch {
	case err != nil:
		return "", err
	case len(unlocked) > 0:
		return unlocked[0], nil
	case len(locked) == 0:
		return "", nil
	}
	if err := c.unlock(ctx, locked[0]); err != nil {
		return "", err
	}
	return locked[0], nil
}

// read returns the value of the item matching attrs, or nil if none.
func (c *ssConn) read(ctx context.Context, attrs map[string]string) ([]byte, error) {
	item, err := c.find(ctx, attrs)
	if err == nil && item == "" {
		item, err = c.findHidden(ctx, attrs)
	}
	if err != nil || item == "" {
		return nil, err
	}
	session, err := c.openSession(ctx)
	if err != nil {
		return nil, err
	}
	var secret secretValue
	if err := c.call(ctx, item, ssItem+".GetSecret", session).Store(&secret); err != nil || len(secret.Value) > 0 {
		return secret.Value, err
	}
	// KWallet answers GetSecret on a closed wallet with nothing, which taken
	// for an empty cache would have the next write replace the shared one.
	// No cache is stored empty, so trust an empty value only when unlocked.
	locked, err := c.locked(ctx, item, ssItem)
	if err == nil && locked {
		err = errLocked
	}
	return nil, err
}

// findHidden looks again for an item the search by attrs didn't find, in
// case the default collection hides it: gnome-keyring, having loaded a
// keyring locked (restarted mid-session), shows its items' xdg:schema as a
// placeholder, and an empty read would make a process drop its tokens. A
// search without the schema still lists such items, locked; when one is in
// the default collection with its schema hidden, the collection is unlocked
// (which may prompt) and searched again, and failing that the read fails.
// When none is, the item doesn't exist, and nobody is asked to unlock.
func (c *ssConn) findHidden(ctx context.Context, attrs map[string]string) (dbus.ObjectPath, error) {
	rest := maps.Clone(attrs)
	delete(rest, xdgSchemaAttr)
	_, locked, err := c.search(ctx, rest)
	if err != nil || len(locked) == 0 {
		return "", err
	}
	coll, err := c.readAlias(ctx)
	if err != nil || coll == nullPath || !c.anyHidden(ctx, locked, coll) {
		return "", err
	}
	if err := c.unlock(ctx, coll); err != nil {
		return "", err
	}
	return c.find(ctx, attrs)
}

// hiddenSchema is the xdg:schema gnome-keyring shows for an item of a
// keyring it loaded locked.
const hiddenSchema = "org.freedesktop.Secret.Generic"

// anyHidden reports whether a locked item is in coll with its schema hidden.
func (c *ssConn) anyHidden(ctx context.Context, locked []dbus.ObjectPath, coll dbus.ObjectPath) bool {
	for _, item := range locked {
		if !strings.HasPrefix(string(item), string(coll)+"/") {
			continue
		}
		v, err := c.property(ctx, item, ssItem, "Attributes")
		if err != nil {
			return true // can't tell: it may be ours
		}
		attrs, _ := v.Value().(map[string]string)
		if s := attrs[xdgSchemaAttr]; s == "" || s == hiddenSchema {
			return true
		}
	}
	return false
}

// store replaces the item matching attrs in the default collection, as
// libsecret's password_store does with a NULL collection.
func (c *ssConn) store(ctx context.Context, attrs map[string]string, label string, data []byte) error {
	coll, err := c.collection(ctx)
	if err != nil {
		return err
	}
	session, err := c.openSession(ctx)
	if err != nil {
		return err
	}
	props := map[string]dbus.Variant{
		ssItem + ".Label":      dbus.MakeVariant(label),
		ssItem + ".Attributes": dbus.MakeVariant(attrs),
	}
	// "text/plain" is what libsecret's password functions store.
	s := secretValue{Session: session, Parameters: []byte{}, Value: data, ContentType: "text/plain"}
	var item, prompt dbus.ObjectPath
	if err := c.call(ctx, coll, ssCollection+".CreateItem", props, s, true).Store(&item, &prompt); err != nil {
		return err
	}
	if prompt != nullPath {
		_, err = c.prompt(ctx, prompt)
	}
	return err
}

// readAlias returns the default collection, or nullPath when there is none.
func (c *ssConn) readAlias(ctx context.Context) (coll dbus.ObjectPath, err error) {
	err = c.call(ctx, ssPath, ssService+".ReadAlias", "default").Store(&coll)
	return coll, err
}

// property returns a property of p, an item or a collection (iface).
func (c *ssConn) property(ctx context.Context, p dbus.ObjectPath, iface, name string) (v dbus.Variant, err error) {
	err = c.call(ctx, p, "org.freedesktop.DBus.Properties.Get", iface, name).Store(&v)
	return v, err
}

// locked reports the Locked property of p, an item or a collection (iface).
func (c *ssConn) locked(ctx context.Context, p dbus.ObjectPath, iface string) (bool, error) {
	v, err := c.property(ctx, p, iface, "Locked")
	locked, _ := v.Value().(bool)
	return locked, err
}

// collection returns the unlocked default collection, creating it when
// there is none, as libsecret does. Either may prompt.
func (c *ssConn) collection(ctx context.Context) (dbus.ObjectPath, error) {
	coll, err := c.readAlias(ctx)
	if err != nil {
		return "", err
	}
	if coll != nullPath {
		locked, err := c.locked(ctx, coll, ssCollection)
		if err == nil && locked {
			err = c.unlock(ctx, coll)
		}
		return coll, err
	}
	props := map[string]dbus.Variant{ssCollection + ".Label": dbus.MakeVariant("Default keyring")}
	var prompt dbus.ObjectPath
	if err := c.call(ctx, ssPath, ssService+".CreateCollection", props, "default").Store(&coll, &prompt); err != nil {
		return "", err
	}
	if prompt != nullPath {
		v, err := c.prompt(ctx, prompt)
		if err != nil {
			return "", err
		}
		coll, _ = v.Value().(dbus.ObjectPath)
	}
	if coll == "" || coll == nullPath {
		return "", errors.New("the Secret Service created no default collection")
	}
	return coll, nil
}

// unlock unlocks an item or a collection, prompting if the service wants.
func (c *ssConn) unlock(ctx context.Context, p dbus.ObjectPath) error {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := c.call(ctx, ssPath, ssService+".Unlock", []dbus.ObjectPath{p}).Store(&unlocked, &prompt); err != nil {
		return err
	}
	if prompt == nullPath {
		if len(unlocked) == 0 {
			return errLocked
		}
		return nil
	}
	_, err := c.prompt(ctx, prompt)
	return err
}

// prompt shows a prompt and waits for the user to complete it, or for ctx.
func (c *ssConn) prompt(ctx context.Context, p dbus.ObjectPath) (dbus.Variant, error) {
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(p), dbus.WithMatchInterface(ssPrompt), dbus.WithMatchMember("Completed")}
	if err := c.conn.AddMatchSignalContext(ctx, match...); err != nil {
		return dbus.Variant{}, err
	}
	signals := make(chan *dbus.Signal, 4)
	c.conn.Signal(signals)
	defer c.conn.RemoveSignal(signals)
	// Until it completes, the end of ctx dismisses it.
	c.prompting.Store(&p)
	// No parent window: the service centres its dialog on the screen.
	if err := c.call(ctx, p, ssPrompt+".Prompt", "").Err; err != nil {
		if ctx.Err() == nil {
			c.prompting.Store(nil)
		}
		return dbus.Variant{}, err
	}
	for {
		select {
		case s, ok := <-signals:
			if !ok {
				return dbus.Variant{}, errors.New("the D-Bus connection closed during a prompt")
			}
			if s.Path != p || s.Name != ssPrompt+".Completed" || len(s.Body) != 2 {
				continue
			}
			c.prompting.Store(nil)
			if dismissed, _ := s.Body[0].(bool); dismissed {
				return dbus.Variant{}, errLocked
			}
			v, _ := s.Body[1].(dbus.Variant)
			return v, nil
		case <-ctx.Done():
			return dbus.Variant{}, ctx.Err()
		}
	}
}

// dismissPrompt dismisses the prompt up, if any, without waiting.
func (c *ssConn) dismissPrompt() {
	if p := c.prompting.Swap(nil); p != nil {
		c.conn.Object(ssBusName, *p).Go(ssPrompt+".Dismiss", dbus.FlagNoReplyExpected, nil)
	}
}

// errLocked is a keyring nobody unlocked.
var errLocked = errors.New("the keyring is locked, and unlocking it was dismissed or is impossible here (no display for the prompt?)")

// sessionBusAddress finds the session bus as libdbus does, but never
// launches one: a new bus has nobody's keyring on it.
func sessionBusAddress() (string, error) {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, nil
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = fmt.Sprintf("/run/user/%d", os.Getuid())
	}
	p := filepath.Join(dir, "bus")
	if fi, err := os.Stat(p); err == nil && fi.Mode()&fs.ModeSocket != 0 {
		return "unix:path=" + dbus.EscapeBusAddressValue(p), nil
	}
	return "", &secretServiceError{"no D-Bus session bus", fmt.Errorf("DBUS_SESSION_BUS_ADDRESS is unset and %s doesn't exist", p)}
}

// secretServiceError says which step failed, in words a user can act on.
type secretServiceError struct {
	what string
	err  error
}

func (e *secretServiceError) Error() string { return e.what + ": " + e.err.Error() }

func (e *secretServiceError) Unwrap() error { return e.err }

// classify names the usual failures in words a user can act on.
func classify(err error) error {
	var se *secretServiceError
	if errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var de dbus.Error
	if errors.As(err, &de) {
		switch de.Name {
		case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner", "org.freedesktop.DBus.Error.Spawn.ChildExited":
			return &secretServiceError{"no Secret Service on the session D-Bus (is gnome-keyring, KWallet or KeePassXC running?)", err}
		case "org.freedesktop.Secret.Error.IsLocked":
			return &secretServiceError{"the keyring is locked", err}
		}
	}
	if errors.Is(err, errLocked) {
		return &secretServiceError{"the Secret Service can't be used", err}
	}
	return &secretServiceError{"the Secret Service failed", err}
}

// Python's azure-identity keeps its Linux cache through msal-extensions'
// LibsecretPersistence:
//
//	schema = Secret.Schema.new(<name>.nocae|.cae, Secret.SchemaFlags.NONE, {"MsalClientID": STRING})
//	Secret.password_store_sync(schema, {"MsalClientID": "Microsoft.Developer.IdentityService"},
//	    None, "MSALCache", <MSAL cache JSON>, None)
//
// libsecret adds the schema's name as "xdg:schema" when it stores and looks
// up, and a NULL collection is the "default" alias: these attributes and
// label make the same item, so each library reads what the other wrote.
const (
	msalClientIDAttr  = "MsalClientID"
	msalClientIDValue = "Microsoft.Developer.IdentityService"
	msalSecretLabel   = "MSALCache"
	xdgSchemaAttr     = "xdg:schema"
)

// secretService is the item of one schema in the Secret Service.
type secretService struct{ attrs map[string]string }

func newSecretService(schema string) *secretService {
	return &secretService{attrs: map[string]string{xdgSchemaAttr: schema, msalClientIDAttr: msalClientIDValue}}
}

func (s *secretService) read(ctx context.Context) (data []byte, err error) {
	err = withSecretService(ctx, func(c *ssConn) error {
		data, err = c.read(ctx, s.attrs)
		return err
	})
	return data, err
}
