// Package keyring runs a private Secret Service (gnome-keyring-daemon on a
// private D-Bus session bus) for the benchmarks, and writes and deletes
// items in it the way libsecret's password functions do, so that a
// benchmark can put a pre-built token cache where a credential's
// Secret Service cache will read it.
//
// It is the benchmarks' own: the library's test helper of the same purpose
// is internal to the library, and the benchmarks use only its public API.
package keyring

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// Packages is what a Secret Service needs, as Debian names it.
const Packages = "gnome-keyring dbus-x11"

// ErrUnavailable is wrapped by Start's error when the programs are missing.
var ErrUnavailable = errors.New("the Secret Service programs are missing; install " + Packages)

// Keyring is a running private keyring.
type Keyring struct {
	// Env is the environment that reaches the keyring: this process's, with
	// HOME, the XDG directories and DBUS_SESSION_BUS_ADDRESS pointed at the
	// private ones.
	Env []string

	dir     string
	addr    string
	stops   []func()
	restore func()
}

// Start starts a session bus and gnome-keyring-daemon with an unlocked
// login keyring as the default collection, and points this process's HOME,
// XDG directories and DBUS_SESSION_BUS_ADDRESS at them until Stop.
func Start() (k *Keyring, err error) {
	keyringBin, err1 := exec.LookPath("gnome-keyring-daemon")
	busBin, err2 := exec.LookPath("dbus-daemon")
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	// A D-Bus address can't hold '=' unescaped, so the directory's name is
	// plain (benchmark temp directories carry "lib=...").
	dir, err := os.MkdirTemp("", "bench-keyring")
	if err != nil {
		return nil, err
	}
	k = &Keyring{dir: dir}
	defer func() {
		if err != nil {
			k.Stop()
		}
	}()
	env := map[string]string{
		"HOME":            dir,
		"XDG_DATA_HOME":   filepath.Join(dir, ".local", "share"),
		"XDG_CONFIG_HOME": filepath.Join(dir, ".config"),
		"XDG_RUNTIME_DIR": filepath.Join(dir, "run"),
		"DISPLAY":         "",
		"WAYLAND_DISPLAY": "",
	}
	if err := os.Mkdir(env["XDG_RUNTIME_DIR"], 0o700); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	socket := filepath.Join(dir, "bus")
	bus := exec.CommandContext(ctx, busBin, "--session", "--nofork", "--nopidfile", "--print-address=1", "--address=unix:path="+socket)
	out, err := bus.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := bus.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("dbus-daemon: %w", err)
	}
	k.stops = append(k.stops, func() { cancel(); _ = bus.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("dbus-daemon printed no address: %w", err)
	}
	k.addr = strings.TrimSpace(line)
	env["DBUS_SESSION_BUS_ADDRESS"] = k.addr
	k.restore = Setenv(env)
	k.Env = os.Environ()

	ctx2, cancel2 := context.WithCancel(context.Background())
	// --unlock reads the login keyring's password from standard input and
	// creates the keyring, unlocked, as the default collection.
	kr := exec.CommandContext(ctx2, keyringBin, "--foreground", "--components=secrets", "--unlock")
	kr.Stdin = strings.NewReader("bench")
	kr.Env = k.Env
	if err := kr.Start(); err != nil {
		cancel2()
		return nil, fmt.Errorf("gnome-keyring-daemon: %w", err)
	}
	k.stops = append(k.stops, func() { cancel2(); _ = kr.Wait() })
	if err := waitForName(k.addr, "org.freedesktop.secrets"); err != nil {
		return nil, err
	}
	return k, nil
}

// Stop stops the daemons, restores the environment and removes the
// keyring's files.
func (k *Keyring) Stop() {
	for i := len(k.stops) - 1; i >= 0; i-- {
		k.stops[i]()
	}
	k.stops = nil
	if k.restore != nil {
		k.restore()
		k.restore = nil
	}
	_ = os.RemoveAll(k.dir)
}

// Setenv sets env in this process and returns what undoes it. Benchmarks
// run one at a time, and nothing else reads these variables meanwhile.
func Setenv(env map[string]string) (restore func()) {
	type old struct {
		v  string
		ok bool
	}
	saved := map[string]old{}
	for name, v := range env {
		o, ok := os.LookupEnv(name)
		saved[name] = old{o, ok}
		os.Setenv(name, v)
	}
	return func() {
		for name, o := range saved {
			if o.ok {
				os.Setenv(name, o.v)
			} else {
				os.Unsetenv(name)
			}
		}
	}
}

// waitForName waits until name is owned on the bus. NameHasOwner doesn't
// activate services, so the bus can't start a second keyring meanwhile.
func waitForName(addr, name string) error {
	conn, err := dbus.Connect(addr)
	if err != nil {
		return fmt.Errorf("connecting to the private bus: %w", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
		if err == nil && has {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s never appeared on the private bus (err %v)", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The Secret Service API (freedesktop.org).
const (
	busName        = "org.freedesktop.secrets"
	servicePath    = dbus.ObjectPath("/org/freedesktop/secrets")
	defaultAlias   = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
	serviceIface   = "org.freedesktop.Secret.Service"
	collectionFace = "org.freedesktop.Secret.Collection"
	itemIface      = "org.freedesktop.Secret.Item"
	noPrompt       = dbus.ObjectPath("/")
)

type secret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// Store replaces the item with attributes attrs in the default collection
// by one holding data, as libsecret's password_store does.
func (k *Keyring) Store(attrs map[string]string, label string, data []byte) error {
	return k.converse(func(conn *dbus.Conn, session dbus.ObjectPath) error {
		props := map[string]dbus.Variant{
			itemIface + ".Label":      dbus.MakeVariant(label),
			itemIface + ".Attributes": dbus.MakeVariant(attrs),
		}
		s := secret{Session: session, Parameters: []byte{}, Value: data, ContentType: "text/plain"}
		var item, prompt dbus.ObjectPath
		if err := conn.Object(busName, defaultAlias).Call(collectionFace+".CreateItem", 0, props, s, true).Store(&item, &prompt); err != nil {
			return err
		}
		if prompt != noPrompt {
			return errors.New("the keyring asked for a prompt")
		}
		return nil
	})
}

// Delete deletes every item with attributes attrs.
func (k *Keyring) Delete(attrs map[string]string) error {
	return k.converse(func(conn *dbus.Conn, _ dbus.ObjectPath) error {
		var unlocked, locked []dbus.ObjectPath
		if err := conn.Object(busName, servicePath).Call(serviceIface+".SearchItems", 0, attrs).Store(&unlocked, &locked); err != nil {
			return err
		}
		for _, item := range append(unlocked, locked...) {
			var prompt dbus.ObjectPath
			if err := conn.Object(busName, item).Call(itemIface+".Delete", 0).Store(&prompt); err != nil {
				return err
			}
		}
		return nil
	})
}

func (k *Keyring) converse(f func(*dbus.Conn, dbus.ObjectPath) error) error {
	conn, err := dbus.Connect(k.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	var ignored dbus.Variant
	var session dbus.ObjectPath
	if err := conn.Object(busName, servicePath).Call(serviceIface+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&ignored, &session); err != nil {
		return err
	}
	return f(conn, session)
}
