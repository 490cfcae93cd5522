// Package keyringtest starts a private D-Bus session bus and a GNOME Keyring
// for a test, so that the Secret Service path runs for real without touching
// the user's own keyring.
package keyringtest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/entratest/brokertest"
	"github.com/godbus/dbus/v5"
)

// Packages is what the tests need, as Debian and Ubuntu name it.
const Packages = "gnome-keyring dbus-x11 libsecret-tools"

// Keyring is a running private keyring.
type Keyring struct {
	// Home is the temporary HOME the keyring and the test share.
	Home string
	// Dir holds the keyring's files (login.keyring, encrypted on disk).
	Dir string
	// Env is the environment for child processes that must reach the keyring.
	Env []string

	bin, addr string
	stop      func() // stops the running gnome-keyring-daemon
}

// Start starts a session bus and gnome-keyring-daemon with an unlocked login
// keyring as the default collection, and points HOME, the XDG directories
// and DBUS_SESSION_BUS_ADDRESS at them for the rest of the test (so the test
// can't be parallel). Both daemons stop when the test ends. Without the
// programs, the test is skipped or, when the environment variable CI is set,
// fails.
func Start(t testing.TB) *Keyring { return start(t, true) }

// StartLocked is Start with a keyring that has no unlocked collection, on a
// bus where no password prompt can start: an SSH session into a desktop
// whose keyring is locked.
func StartLocked(t testing.TB) *Keyring { return start(t, false) }

func start(t testing.TB, unlocked bool) *Keyring {
	t.Helper()
	keyringBin := lookPath(t, "gnome-keyring-daemon")
	home := t.TempDir()
	k := &Keyring{Home: home, Dir: filepath.Join(home, ".local", "share", "keyrings")}
	runDir := filepath.Join(home, "run")
	if err := os.Mkdir(runDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"HOME":            home,
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR": runDir,
		"DISPLAY":         "",
		"WAYLAND_DISPLAY": "",
	} {
		t.Setenv(name, v)
	}
	addr := startBus(t, !unlocked)
	k.Env = os.Environ()

	args := []string{"--foreground", "--components=secrets"}
	var stdin string
	if unlocked {
		// --unlock reads the login keyring's password from standard input,
		// and creates the keyring, unlocked, as the default collection.
		args, stdin = append(args, "--unlock"), "keyringtest"
	}
	k.bin, k.addr = keyringBin, addr
	k.daemon(t, args, stdin)
	return k
}

// daemon starts gnome-keyring-daemon with args and stdin, stopped when the
// test ends or by k.stop, and waits until it owns the Secret Service's name.
func (k *Keyring) daemon(t testing.TB, args []string, stdin string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	kr := exec.CommandContext(ctx, k.bin, args...)
	kr.Stdin = strings.NewReader(stdin)
	kr.Env = k.Env
	if err := kr.Start(); err != nil {
		cancel()
		Unavailable(t, "gnome-keyring-daemon won't start: "+err.Error())
	}
	k.stop = sync.OnceFunc(func() { cancel(); _ = kr.Wait() })
	t.Cleanup(k.stop)
	waitForName(t, k.addr, "org.freedesktop.secrets")
}

// RestartLocked kills the keyring's daemon and starts another, which loads
// the keyring from disk, locked, with no way to prompt for its password: a
// gnome-keyring that crashed and was started again (by D-Bus activation,
// say) while the session went on.
func (k *Keyring) RestartLocked(t testing.TB) {
	t.Helper()
	k.stop()
	waitForNoName(t, k.addr, "org.freedesktop.secrets")
	k.daemon(t, []string{"--foreground", "--components=secrets"}, "")
}

// BareBus starts a session bus on which no service runs or can be
// activated, and points DBUS_SESSION_BUS_ADDRESS at it for the rest of the
// test: a session with no keyring installed.
func BareBus(t testing.TB) { startBus(t, true) }

// startBus starts a private session bus, stopped when the test ends, and
// sets DBUS_SESSION_BUS_ADDRESS to it. A bare bus (entratest's) activates no
// services.
func startBus(t testing.TB, bare bool) (addr string) {
	t.Helper()
	busBin := lookPath(t, "dbus-daemon")
	if bare {
		bus, err := brokertest.NewSessionBus()
		if errors.Is(err, brokertest.ErrNoDBusDaemon) {
			Unavailable(t, "dbus-daemon not found")
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(bus.Close)
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Address())
		return bus.Address()
	}
	// A D-Bus address can't hold '=' or ',' unescaped, and t.TempDir names
	// carry the (sub)test's name, which may ("lib=x"): a directory of our
	// own naming keeps the socket path plain.
	dir, err := os.MkdirTemp("", "keyringtest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	socket := filepath.Join(dir, "bus")
	args := []string{"--nofork", "--nopidfile", "--print-address=1", "--session", "--address=unix:path=" + socket}
	ctx, cancel := context.WithCancel(context.Background())
	bus := exec.CommandContext(ctx, busBin, args...)
	var stderr strings.Builder
	bus.Stderr = &stderr
	out, err := bus.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := bus.Start(); err != nil {
		cancel()
		Unavailable(t, "dbus-daemon won't start: "+err.Error())
	}
	t.Cleanup(func() { cancel(); _ = bus.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cancel()
		_ = bus.Wait()
		t.Fatalf("dbus-daemon printed no address: %v: %s", err, stderr.String())
	}
	addr = strings.TrimSpace(line)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return addr
}

func lookPath(t testing.TB, name string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service is tested on Linux only")
	}
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, name+" not found")
	}
	return p
}

// waitForName waits until name is owned on the bus. NameHasOwner doesn't
// activate services, so the bus can't start a second keyring meanwhile.
func waitForName(t testing.TB, addr, name string) { waitForOwner(t, addr, name, true) }

// waitForNoName waits until name has no owner on the bus.
func waitForNoName(t testing.TB, addr, name string) { waitForOwner(t, addr, name, false) }

func waitForOwner(t testing.TB, addr, name string, owned bool) {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to the private bus: %v", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
		if err == nil && has == owned {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: owned %v on the private bus, never %v (err %v)", name, has, owned, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Unavailable skips the test for want of the keyring's programs, or fails it
// under CI, where they must be installed.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	Missing(t, why, Packages)
}

// Missing skips the test for want of packages (as Debian names them), or
// fails it when the environment variable CI is set: CI installs every
// package a test needs, so that no test skips there.
func Missing(t testing.TB, why, packages string) {
	t.Helper()
	msg := why + "; install " + packages + " to run this test"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
