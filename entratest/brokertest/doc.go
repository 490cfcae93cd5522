// Package brokertest emulates Microsoft's Linux identity broker for tests: [New] serves
// the broker's D-Bus interface, answering from an [entratest.Server]'s directory with
// tokens signed by its key, and [NewSessionBus] starts the private D-Bus session bus it
// serves on (it runs dbus-daemon, from Debian's dbus package):
//
//	bus, err := brokertest.NewSessionBus()
//	if errors.Is(err, brokertest.ErrNoDBusDaemon) {
//		t.Skip(err) // install the dbus package
//	}
//	require.NoError(t, err)
//	t.Cleanup(bus.Close)
//	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Address())
//	srv := entratest.NewServer(nil)
//	t.Cleanup(srv.Close)
//	broker := brokertest.New(srv, bus.Address(), nil)
//	t.Cleanup(broker.Close)
//
// A credential with brokered sign-in enabled then signs in through the broker. The
// broker's emulated user is steered with [Broker.SignInAs], [Broker.CancelSignIns],
// [Broker.FailSignIns] and [Broker.HoldSignIns], and [Broker.Requests] records what the
// credential sent.
//
// Like entratest, this package is for tests only: setup errors panic with a
// "brokertest:" prefix.
package brokertest
