package brokertest

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
)

// DBusPackage is the package that provides dbus-daemon, which [NewSessionBus] runs, as
// Debian and Ubuntu name it.
const DBusPackage = "dbus"

// ErrNoDBusDaemon reports that [NewSessionBus] can't run dbus-daemon: it isn't installed,
// or this isn't Linux. A test that gets it should skip, saying to install [DBusPackage].
var ErrNoDBusDaemon = errors.New("brokertest: dbus-daemon not found; install the " + DBusPackage + " package")

// sessionBusConfig is a session bus with no service directories: nothing is activated on
// demand, so a name has an owner only if a connection took it.
const sessionBusConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
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

// SessionBus is a private D-Bus session bus, run by its own dbus-daemon, on which nothing
// runs or can be activated: a test serves a [Broker] on it and points the credential at it
// with DBUS_SESSION_BUS_ADDRESS, without touching the user's session.
type SessionBus struct {
	addr   string
	dir    string
	cancel context.CancelFunc
	cmd    *exec.Cmd
	once   sync.Once
}

// NewSessionBus starts a private session bus. The caller must Close it. Where
// dbus-daemon can't run (it isn't installed, or this isn't Linux) it returns an error
// wrapping [ErrNoDBusDaemon].
func NewSessionBus() (*SessionBus, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("%w (a private D-Bus bus is started on Linux only)", ErrNoDBusDaemon)
	}
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return nil, ErrNoDBusDaemon
	}
	// A D-Bus address can't hold '=' or ',' unescaped, and t.TempDir names carry the
	// test's name, which may: a directory of our own naming keeps the socket path plain.
	dir, err := os.MkdirTemp("", "entratest-bus")
	if err != nil {
		return nil, fmt.Errorf("brokertest: session bus: %w", err)
	}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, sessionBusConfig, filepath.Join(dir, "bus")), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("brokertest: session bus: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &SessionBus{dir: dir, cancel: cancel}
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
		return nil, fmt.Errorf("%w (dbus-daemon won't start: %v)", ErrNoDBusDaemon, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("brokertest: dbus-daemon printed no address: %v: %s", err, stderr.String())
	}
	b.addr = strings.TrimSpace(line)
	return b, nil
}

// Address returns the bus's D-Bus address, for [New] and for
// DBUS_SESSION_BUS_ADDRESS.
func (b *SessionBus) Address() string { return b.addr }

// Close stops the bus and removes its socket. It may be called more than once.
func (b *SessionBus) Close() {
	b.once.Do(func() {
		b.cancel()
		_ = b.cmd.Wait()
		_ = os.RemoveAll(b.dir)
	})
}
