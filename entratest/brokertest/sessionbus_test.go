package brokertest_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/brokertest"
	"github.com/azinteractive/azinteractive/internal/broker/bustest"
)

// newSessionBus starts a private bus for the test. Off Linux it checks that
// NewSessionBus says why it can't, and skips.
func newSessionBus(t *testing.T) *brokertest.SessionBus {
	t.Helper()
	bus, err := brokertest.NewSessionBus()
	if runtime.GOOS != "linux" {
		require.ErrorIs(t, err, brokertest.ErrNoDBusDaemon)
		t.Skip("a private D-Bus bus is started on Linux only")
	}
	if errors.Is(err, brokertest.ErrNoDBusDaemon) {
		bustest.Unavailable(t, err.Error())
	}
	require.NoError(t, err)
	return bus
}

// TestSessionBusServesBroker is what a user's test does with the public API alone: a
// private bus from NewSessionBus, the emulated broker on it, a credential signing in
// through it.
func TestSessionBusServesBroker(t *testing.T) {
	bus := newSessionBus(t)
	defer bus.Close()
	require.NotEmpty(t, bus.Address())
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Address())

	srv := entratest.NewServer(nil)
	defer srv.Close()
	broker := brokertest.New(srv, bus.Address(), nil)
	defer broker.Close()

	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
		Broker:        &azinteractive.BrokerOptions{RequireBroker: true},
	})
	require.NoError(t, err)
	tk, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	require.NoError(t, err)
	claims, err := srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	assert.Equal(t, entratest.DefaultUsername, claims["upn"])
	assert.NotEmpty(t, broker.Requests(), "the token came through the broker")
}

// TestSessionBusClose checks that Close stops the daemon (the address no longer
// connects) and may be called twice.
func TestSessionBusClose(t *testing.T) {
	bus := newSessionBus(t)
	conn, err := dbus.Connect(bus.Address())
	require.NoError(t, err)
	_ = conn.Close()
	bus.Close()
	bus.Close()
	_, err = dbus.Connect(bus.Address())
	assert.Error(t, err, "the bus still answers after Close")
}

// TestNoDBusDaemonSaysWhatToInstall: the error users skip on names Debian's package.
func TestNoDBusDaemonSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := brokertest.NewSessionBus()
	require.ErrorIs(t, err, brokertest.ErrNoDBusDaemon)
	assert.Contains(t, err.Error(), "install the dbus package")
}
