// Package bustest starts a private D-Bus session bus for a test, on which
// nothing runs or can be activated, so that tests serve and call D-Bus
// services without touching the user's session.
//
// internal/tokencache/keyringtest starts a bus the same way for a keyring; its
// helper is unexported and its skip message names the keyring's packages, so
// the broker's tests have this one.
package bustest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Package is what the tests need installed, as Debian and Ubuntu name it.
const Package = "dbus"

// config is a session bus with no service directories: nothing is activated
// on demand, so a name has an owner only if a test's connection took it.
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

// Start starts a private session bus, stopped when the test ends, and returns
// its address. It doesn't change the environment; SetSession does. Without
// dbus-daemon the test is skipped or, when the environment variable CI is
// set, fails.
func Start(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the D-Bus broker is tested on Linux only")
	}
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		Unavailable(t, "dbus-daemon not found")
	}
	// A D-Bus address can't hold '=' or ',' unescaped, and t.TempDir names
	// carry the test's name, which may: a directory of our own naming keeps
	// the socket path plain.
	dir, err := os.MkdirTemp("", "bustest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, config, filepath.Join(dir, "bus")), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bus := exec.CommandContext(ctx, bin, "--nofork", "--nopidfile", "--print-address=1", "--config-file="+conf)
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
		t.Fatalf("dbus-daemon printed no address: %v: %s", err, stderr.String())
	}
	return strings.TrimSpace(line)
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
	msg := why + "; install the " + Package + " package to run this test"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
