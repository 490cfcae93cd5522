// Package bustest starts a private D-Bus session bus, on which nothing runs or
// can be activated, so that tests and the offline examples serve and call
// D-Bus services (the emulated identity broker) without touching the user's
// session.
//
// internal/tokencache/keyringtest starts a bus the same way for a keyring; its
// helper is unexported and its skip message names the keyring's packages, so
// the broker has this one.
package bustest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Package is what a private bus needs installed, as Debian and Ubuntu name it.
const Package = "dbus"

// ErrNoDaemon reports that dbus-daemon isn't installed.
var ErrNoDaemon = errors.New("dbus-daemon not found; install the " + Package + " package")

// config is a session bus with no service directories: nothing is activated
// on demand, so a name has an owner only if a connection took it.
const config = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>`

// Bus is a running private bus.
type Bus struct {
	// Addr is the bus's D-Bus address, for DBUS_SESSION_BUS_ADDRESS.
	Addr string

	dir    string
	cancel context.CancelFunc
	cmd    *exec.Cmd
	once   sync.Once
}

// New starts a private bus. The caller must Close it. On systems without
// dbus-daemon it returns an error wrapping ErrNoDaemon.
func New() (*Bus, error) {
	if runtime.GOOS != "linux" {
		return nil, errors.New("a private D-Bus bus is started on Linux only")
	}
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return nil, ErrNoDaemon
	}
	// A D-Bus address can't hold '=' or ',' unescaped, and t.TempDir names
	// carry the test's name, which may: a directory of our own naming keeps
	// the socket path plain.
	dir, err := os.MkdirTemp("", "bustest")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, config, filepath.Join(dir, "bus")), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bus{dir: dir, cancel: cancel}
	b.cmd = exec.CommandContext(ctx, bin, "--nofork", "--nopidfile", "--print-address=1", "--config-file="+conf)
	var stderr strings.Builder
	b.cmd.Stderr = &stderr
	out, err := b.cmd.StdoutPipe()
	if err == nil {
		err = b.cmd.Start()
	}
	if err != nil {
		cancel()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("%w (dbus-daemon won't start: %v)", ErrNoDaemon, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("dbus-daemon printed no address: %v: %s", err, stderr.String())
	}
	b.Addr = strings.TrimSpace(line)
	return b, nil
}

// Close stops the bus and removes its socket. It may be called more than once.
func (b *Bus) Close() {
	b.once.Do(func() {
		b.cancel()
		_ = b.cmd.Wait()
		_ = os.RemoveAll(b.dir)
	})
}

// Start starts a private bus, stopped when the test ends, and returns its
// address. It doesn't change the environment; SetSession does. Without
// dbus-daemon the test is skipped or, when the environment variable CI is
// set, fails.
func Start(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the D-Bus broker is tested on Linux only")
	}
	b, err := New()
	if errors.Is(err, ErrNoDaemon) {
		Unavailable(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b.Addr
}

// SetSession starts a private bus with Start and points
// DBUS_SESSION_BUS_ADDRESS at it for the rest of the test (so the test can't
// be parallel).
func SetSession(t testing.TB) string {
	t.Helper()
	addr := Start(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return addr
}

// Unavailable skips the test for want of dbus-daemon, or fails it under CI,
// where it must be installed.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	msg := why
	if !strings.Contains(msg, "install") {
		msg += "; install the " + Package + " package to run this test"
	}
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
