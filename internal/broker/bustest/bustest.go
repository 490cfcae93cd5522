// Package bustest gives this module's tests a private D-Bus session bus
// ([brokertest.NewSessionBus]) that ends with the test, skipping the test
// without dbus-daemon, or failing it when the environment variable CI is set.
//
// internal/tokencache/keyringtest starts a bus the same way for a keyring; its
// helper is unexported and its skip message names the keyring's packages, so
// the broker has this one.
package bustest

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/azinteractive/azinteractive/entratest/brokertest"
)

// Start starts a private bus, stopped when the test ends, and returns its
// address. It doesn't change the environment; SetSession does. Without
// dbus-daemon the test is skipped or, when the environment variable CI is
// set, fails.
func Start(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the D-Bus broker is tested on Linux only")
	}
	b, err := brokertest.NewSessionBus()
	if errors.Is(err, brokertest.ErrNoDBusDaemon) {
		Unavailable(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b.Address()
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
		msg += "; install the " + brokertest.DBusPackage + " package to run this test"
	}
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
