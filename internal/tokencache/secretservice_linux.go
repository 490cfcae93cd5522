//go:build linux

package tokencache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

// ssConn is one conversation with the Secret Service: a private bus
// connection and a "plain" transfer session. The bus is the user's own, and
// the service encrypts what it stores on disk, so an encrypted transfer
// session (DH + AES) would protect the secret only from processes that
// already run as the user and could read it anyway. Each operation opens
// and closes its own, so nothing lingers (the cache is read only when its
// signal file moves, and written only after a sign-in or a refresh).
type ssConn struct {
	conn    *dbus.Conn
	lift    *liftConn       // the socket under conn, or nil (see liftConn)
	session dbus.ObjectPath // "" until transfer opens it
	// prompting is the prompt the conversation has up, if any: set by
	// prompt, read when the caller's context ends (dismissPrompt).
	prompting atomic.Pointer[dbus.ObjectPath]
}

// withSecretService runs f over a fresh connection to the Secret Service.
func withSecretService(ctx context.Context, f func(*ssConn) error) error {
	err := converse(ctx, f)
	if err != nil && ctx.Err() != nil {
		// The connection closed because ctx ended; say so, not "closed
		// network connection".
		return ctx.Err()
	}
	return err
}

func converse(ctx context.Context, f func(*ssConn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	addr, err := sessionBusAddress()
	if err != nil {
		return err
	}
	// The connection closes when ctx ends, which ends any call on it, or
	// when the conversation does. A prompt it has up is dismissed first, as
	// libsecret does when its caller cancels, so that no dialog outlives
	// the call that asked; whichever comes first closes, and the other
	// waits until it has.
	conn, lift, err := dialSecretService(ctx, addr)
	if err != nil {
		return &secretServiceError{"can't connect to the D-Bus session bus at " + addr, err}
	}
	c := &ssConn{conn: conn, lift: lift}
	var closing sync.Once
	shut := func() { closing.Do(func() { c.dismissPrompt(); _ = conn.Close() }) }
	defer shut()
	defer context.AfterFunc(ctx, shut)()
	if err := conn.Auth(nil); err != nil {
		return &secretServiceError{"can't authenticate to the D-Bus session bus at " + addr, err}
	}
	// Hello goes without waiting for its answer: the bus handles a
	// connection's messages in order, so f's first calls go with it, a round
	// trip sooner. Its answer (this connection's unique name) matters to
	// nothing here but its error, which is looked at before f's: when the bus
	// refuses Hello, f's calls fail for that reason.
	hello := conn.BusObject().GoWithContext(ctx, "org.freedesktop.DBus.Hello", 0, nil)
	// A refused Hello ends the conversation: closing the connection ends
	// f's calls, which a bus that keeps the connection open would never
	// answer.
	refused := make(chan error, 1)
	go func() {
		herr := (<-hello.Done).Err
		if herr != nil {
			_ = conn.Close()
		}
		refused <- herr
	}()
	err = f(c)
	if herr := <-refused; herr != nil {
		return &secretServiceError{"the D-Bus session bus at " + addr + " refused this process", herr}
	}
	if err != nil {
		return classify(err)
	}
	return nil
}

// transfer returns the conversation's transfer session, opening it on first
// use: only moving a secret needs one.
func (c *ssConn) transfer(ctx context.Context) (dbus.ObjectPath, error) {
	if c.session == "" {
		if err := c.opened(c.openSession(ctx)); err != nil {
			return "", err
		}
	}
	return c.session, nil
}

// openSession sends OpenSession without waiting for the answer, which
// opened takes. Calls that don't depend on each other are sent together:
// each round trip to the Secret Service costs a quarter to half a
// millisecond, the most of a read after the connection's own setup.
func (c *ssConn) openSession(ctx context.Context) *dbus.Call {
	return c.service().GoWithContext(ctx, ssService+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
}

// opened waits for OpenSession's answer and keeps its session.
func (c *ssConn) opened(call *dbus.Call) error {
	var ignored dbus.Variant
	return (<-call.Done).Store(&ignored, &c.session)
}

func (c *ssConn) search(ctx context.Context, attrs map[string]string) *dbus.Call {
	return c.service().GoWithContext(ctx, ssService+".SearchItems", 0, nil, attrs)
}

func (c *ssConn) service() dbus.BusObject { return c.conn.Object(ssBusName, ssPath) }

func (c *ssConn) object(p dbus.ObjectPath) dbus.BusObject { return c.conn.Object(ssBusName, p) }

// find returns the first item that search found, or "". A locked item is
// unlocked (as libsecret's lookup does) when unlock is set, and otherwise
// returned with locked set.
func (c *ssConn) find(ctx context.Context, search *dbus.Call, unlock bool) (item dbus.ObjectPath, locked bool, err error) {
	var open, closed []dbus.ObjectPath
	if err := (<-search.Done).Store(&open, &closed); err != nil {
		return "", false, err
	}
	switch {
	case len(open) > 0:
		return open[0], false, nil
	case len(closed) == 0:
		return "", false, nil
	case !unlock:
		return closed[0], true, nil
	}
	if err := c.unlock(ctx, closed[0]); err != nil {
		return "", false, err
	}
	return closed[0], false, nil
}

// read returns the value of the item matching attrs, or nil. It asks for
// the item and the transfer session at once.
func (c *ssConn) read(ctx context.Context, attrs map[string]string) ([]byte, error) {
	search := c.search(ctx, attrs)
	var open *dbus.Call
	if c.session == "" {
		open = c.openSession(ctx)
	}
	item, _, err := c.find(ctx, search, true)
	if open != nil {
		if oerr := c.opened(open); err == nil {
			err = oerr
		}
	}
	if err == nil && item == "" {
		item, err = c.findHidden(ctx, attrs)
	}
	if err != nil || item == "" {
		return nil, err
	}
	return c.secret(ctx, item)
}

// findHidden looks again for the item a search by attrs didn't find, in
// case the default collection, where writes put it, hides it: gnome-keyring,
// having loaded a keyring from disk locked (it was restarted mid-session,
// after a crash), shows its items' xdg:schema as a placeholder, so a search
// by ours finds nothing there. Read as an empty cache, that would have a
// process drop the tokens it holds and ask the user to sign in again. A
// search by the client ID alone still lists such items, locked: when one of
// them is in the default collection with its schema hidden, the collection
// is unlocked (which may prompt, as reading a locked item does) and searched
// again, and when it can't be, the read fails and the caller keeps what it
// has. When none is, the item doesn't exist, and nobody is asked to unlock
// anything: a keyring locked while in use shows its items' schemas, and
// lists ours, locked, to the first search.
func (c *ssConn) findHidden(ctx context.Context, attrs map[string]string) (dbus.ObjectPath, error) {
	search := c.search(ctx, map[string]string{msalClientIDAttr: attrs[msalClientIDAttr]})
	alias := c.readAlias(ctx)
	var open, closed []dbus.ObjectPath
	var coll dbus.ObjectPath
	err := (<-search.Done).Store(&open, &closed)
	if aerr := (<-alias.Done).Store(&coll); err == nil {
		err = aerr
	}
	if err != nil || coll == nullPath {
		return "", err
	}
	if !c.anyHidden(ctx, closed, coll) {
		return "", nil
	}
	if err := c.unlock(ctx, coll); err != nil {
		return "", err
	}
	item, _, err := c.find(ctx, c.search(ctx, attrs), true)
	return item, err
}

// secret returns the value of item, over the transfer session.
func (c *ssConn) secret(ctx context.Context, item dbus.ObjectPath) ([]byte, error) {
	session, err := c.transfer(ctx)
	if err != nil {
		return nil, err
	}
	return c.secretOf(<-c.getSecret(ctx, item, session).Done)
}

// getSecret sends GetSecret for item, whose answer secretOf reads.
func (c *ssConn) getSecret(ctx context.Context, item, session dbus.ObjectPath) *dbus.Call {
	return c.object(item).GoWithContext(ctx, ssItem+".GetSecret", 0, nil, session)
}

// secretOf returns the value that GetSecret's call answered.
func (c *ssConn) secretOf(call *dbus.Call) ([]byte, error) {
	if call.Err != nil {
		return nil, call.Err
	}
	v, err := secretOf(call.Body)
	if err != nil || c.lift == nil {
		return v, err
	}
	// GetSecret is asked one call at a time on a connection, so the value
	// lifted last is this reply's.
	if lifted, ok := c.lift.take(); ok && len(v) == 0 {
		return lifted, nil
	}
	return v, nil
}

// secretOf returns the value of GetSecret's reply, (oayays). godbus decodes
// the struct as []any whose byte arrays are already []byte; Store would
// copy each byte through reflection, which cost as much again as decoding
// (a 100 KB cache: 23 ms to read, against 1-2 ms for libsecret).
func secretOf(body []any) ([]byte, error) {
	if len(body) == 1 {
		if fields, ok := body[0].([]any); ok && len(fields) == 4 {
			if v, ok := fields[2].([]byte); ok {
				return v, nil
			}
		}
	}
	return nil, fmt.Errorf("the Secret Service answered GetSecret with %d values, not a Secret struct (oayays)", len(body))
}

// store replaces the item matching attrs in the default collection, as
// libsecret's password_store does with a NULL collection.
func (c *ssConn) store(ctx context.Context, attrs map[string]string, label string, data []byte) error {
	alias := c.readAlias(ctx)
	var open *dbus.Call
	if c.session == "" {
		open = c.openSession(ctx)
	}
	coll, _, err := c.collection(ctx, alias)
	if open != nil {
		if oerr := c.opened(open); err == nil {
			err = oerr
		}
	}
	if err != nil {
		return err
	}
	props := map[string]dbus.Variant{
		ssItem + ".Label":      dbus.MakeVariant(label),
		ssItem + ".Attributes": dbus.MakeVariant(attrs),
	}
	session, err := c.transfer(ctx)
	if err != nil {
		return err
	}
	// "text/plain" is what libsecret's password functions store.
	s := secretValue{Session: session, Parameters: []byte{}, Value: data, ContentType: "text/plain"}
	if c.lift != nil {
		c.lift.place(data)
		s.Value = []byte{}
	}
	var item, prompt dbus.ObjectPath
	call := c.object(coll).CallWithContext(ctx, ssCollection+".CreateItem", 0, props, s, true)
	if c.lift != nil && !c.lift.placed() {
		// The value couldn't go around godbus, so the call was refused
		// before anything was sent (errNotPlaced): store it through
		// godbus alone.
		s.Value = data
		call = c.object(coll).CallWithContext(ctx, ssCollection+".CreateItem", 0, props, s, true)
	}
	if err := call.Store(&item, &prompt); err != nil {
		return err
	}
	if prompt != nullPath {
		_, err = c.prompt(ctx, prompt)
	}
	return err
}

// readAlias sends ReadAlias for the default collection, whose answer
// collection takes.
func (c *ssConn) readAlias(ctx context.Context) *dbus.Call {
	return c.service().GoWithContext(ctx, ssService+".ReadAlias", 0, nil, "default")
}

// collection returns the unlocked default collection ("keyring"), given the
// answer to readAlias, creating it when there is none, as libsecret does.
// Either step may show the user a prompt. changed reports that it created or
// unlocked the collection, so that what was asked of it before may have
// changed too.
func (c *ssConn) collection(ctx context.Context, alias *dbus.Call) (coll dbus.ObjectPath, changed bool, err error) {
	if err := (<-alias.Done).Store(&coll); err != nil {
		return "", false, err
	}
	return c.collectionAt(ctx, coll)
}

// collectionAt is collection given the default alias's answer, coll.
func (c *ssConn) collectionAt(ctx context.Context, coll dbus.ObjectPath) (_ dbus.ObjectPath, changed bool, err error) {
	if coll == nullPath {
		props := map[string]dbus.Variant{ssCollection + ".Label": dbus.MakeVariant("Default keyring")}
		var prompt dbus.ObjectPath
		if err := c.service().CallWithContext(ctx, ssService+".CreateCollection", 0, props, "default").Store(&coll, &prompt); err != nil {
			return "", false, err
		}
		if prompt != nullPath {
			v, err := c.prompt(ctx, prompt)
			if err != nil {
				return "", false, err
			}
			coll, _ = v.Value().(dbus.ObjectPath)
		}
		if coll == "" || coll == nullPath {
			return "", false, errors.New("the Secret Service created no default collection")
		}
		return coll, true, nil
	}
	var locked dbus.Variant
	if err := c.object(coll).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, ssCollection, "Locked").Store(&locked); err != nil {
		return "", false, err
	}
	if l, _ := locked.Value().(bool); l {
		if err := c.unlock(ctx, coll); err != nil {
			return "", false, err
		}
		return coll, true, nil
	}
	return coll, false, nil
}

// unlock unlocks an item or a collection, prompting the user if the service
// wants to.
func (c *ssConn) unlock(ctx context.Context, p dbus.ObjectPath) error {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := c.service().CallWithContext(ctx, ssService+".Unlock", 0, []dbus.ObjectPath{p}).Store(&unlocked, &prompt); err != nil {
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
	// Until the prompt completes, prompting holds it, so that the end of
	// ctx dismisses it (see converse), however this call ends.
	c.prompting.Store(&p)
	// No parent window: the service centres its dialog on the screen.
	if err := c.object(p).CallWithContext(ctx, ssPrompt+".Prompt", 0, "").Err; err != nil {
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

// dismissPrompt dismisses the prompt the conversation has up, if any,
// without waiting for an answer: its caller gave up.
func (c *ssConn) dismissPrompt() {
	if p := c.prompting.Swap(nil); p != nil {
		c.object(*p).Go(ssPrompt+".Dismiss", dbus.FlagNoReplyExpected, nil)
	}
}

// errLocked is a keyring the user (or a service with no display to ask on)
// didn't unlock.
var errLocked = errors.New("the keyring is locked, and unlocking it was dismissed or is impossible here (no display for the prompt?)")

// sessionBusAddress finds the session bus as libdbus does, except that it
// never launches one (dbus-launch would start a bus nobody's keyring is on)
// and never sets DBUS_SESSION_BUS_ADDRESS for the process.
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

// secretServiceError says which step failed, for the message that tells a
// user what's missing.
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

// Python's azure-identity keeps its Linux cache in the Secret Service
// through msal-extensions' LibsecretPersistence (azure-identity
// _persistent_cache.py, _get_persistence; msal_extensions/libsecret.py):
//
//	schema = Secret.Schema.new(<name>.nocae|.cae, Secret.SchemaFlags.NONE, {"MsalClientID": STRING})
//	Secret.password_store_sync(schema, {"MsalClientID": "Microsoft.Developer.IdentityService"},
//	    None, "MSALCache", <MSAL cache JSON>, None)
//
// libsecret adds the schema's name as the attribute "xdg:schema" when it
// stores an item and when it looks one up (the flags lack DONT_MATCH_NAME),
// and a NULL collection is the "default" alias. These attributes and label
// make the same item, so each library reads what the other wrote.
const (
	msalClientIDAttr  = "MsalClientID"
	msalClientIDValue = "Microsoft.Developer.IdentityService"
	msalSecretLabel   = "MSALCache"
	xdgSchemaAttr     = "xdg:schema"
)

// secretService is the cache of one schema in the Secret Service.
type secretService struct {
	attrs map[string]string
}

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

func (s *secretService) write(ctx context.Context, data []byte) error {
	return withSecretService(ctx, func(c *ssConn) error { return c.store(ctx, s.attrs, msalSecretLabel, data) })
}

// hiddenSchema is what gnome-keyring shows as the xdg:schema of a generic
// secret in a keyring it loaded locked, whose attributes it can't read.
const hiddenSchema = "org.freedesktop.Secret.Generic"

// anyHidden reports whether one of the locked items is in coll with its
// schema hidden, so that it may be the item a search by schema missed.
func (c *ssConn) anyHidden(ctx context.Context, locked []dbus.ObjectPath, coll dbus.ObjectPath) bool {
	for _, item := range locked {
		if !inCollection(item, coll) {
			continue
		}
		var v dbus.Variant
		if err := c.object(item).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, ssItem, "Attributes").Store(&v); err != nil {
			return true // can't tell: it may be ours
		}
		attrs, _ := v.Value().(map[string]string)
		if s := attrs[xdgSchemaAttr]; s == "" || s == hiddenSchema {
			return true
		}
	}
	return false
}

// inCollection reports whether item is one of coll's: the Secret Service
// names an item by a path under its collection's.
func inCollection(item, coll dbus.ObjectPath) bool {
	return item != "" && coll != nullPath && strings.HasPrefix(string(item), string(coll)+"/")
}

// probeSecretService checks that the Secret Service can hold a cache here:
// that it answers on the session bus, and that its default collection
// ("keyring") is unlocked, unlocking it (which may prompt the user) when it
// isn't, or creating it when there is none, as the cache's first write
// would. On a keyring in use that is a few reads and no write, so a new
// process pays for no item it stores and deletes.
//
// Over the same connection it reads the cache of s, whose signal file is
// signal, for the first Read (see earlyRead; its mode is the caller's to
// set). The cache's item, found unlocked in the default collection and
// read, is itself the answer to the check: the keyring that writes go to is
// there and unlocked. So that common case costs four calls to the service
// (SearchItems, OpenSession and ReadAlias together, then GetSecret), not
// five: each costs this process a third to a half of a millisecond of the
// service's time, which sending calls together doesn't save. (Searching the
// default collection at its alias path would save ReadAlias, but KWallet
// lists a closed wallet's items there and reads them as empty, and an alias
// path can lag behind what ReadAlias answers.) Anything else (no item, a
// locked one, one in another collection, a failed or empty read) gets the
// whole check, and no early read: KeePassXC lists no items at all, not
// even locked ones, while its database is locked, so "no item" found before
// an unlock means nothing; and an item in another unlocked collection (such
// as gnome-keyring's "session") says nothing of the default one. What the
// early read couldn't get is left for that Read, and is no error here.
func probeSecretService(ctx context.Context, s *secretService, signal string) (*earlyRead, error) {
	var early *earlyRead
	err := withSecretService(ctx, func(c *ssConn) error {
		// The stamp comes before the read, as in a load.
		stamp, stampErr := stampOf(signal)
		search, open, alias := c.search(ctx, s.attrs), c.openSession(ctx), c.readAlias(ctx)
		item, locked, findErr := c.find(ctx, search, false)
		openErr := c.opened(open)
		var coll dbus.ObjectPath
		if err := (<-alias.Done).Store(&coll); err != nil {
			return err
		}
		if findErr == nil && openErr == nil && stampErr == nil && !locked && inCollection(item, coll) {
			// An empty value is no read: KWallet answers GetSecret on a
			// closed wallet with success and nothing, and an early read of
			// nothing would have the first write replace the shared cache.
			if data, err := c.secretOf(<-c.getSecret(ctx, item, c.session).Done); err == nil && len(data) > 0 {
				early = &earlyRead{at: time.Now(), stamp: stamp, data: data}
				return nil
			}
		}
		_, _, err := c.collectionAt(ctx, coll)
		return err
	})
	if err != nil {
		return nil, err
	}
	return early, nil
}
