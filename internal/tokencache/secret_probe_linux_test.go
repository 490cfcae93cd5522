package tokencache

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serviceCalls watches the test's session bus, as dbus-monitor does, and
// returns the members of the method calls sent to the Secret Service while
// f runs.
func serviceCalls(t *testing.T, f func()) []string {
	t.Helper()
	addr, err := sessionBusAddress()
	require.NoError(t, err)
	mon, err := dbus.Connect(addr)
	require.NoError(t, err)
	defer mon.Close()
	// Once eavesdropping, godbus hands every message to ch, BecomeMonitor's
	// own reply included: that reply says the monitor is on.
	ch := make(chan *dbus.Message, 64)
	mon.Eavesdrop(ch)
	mon.BusObject().Go("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, nil,
		[]string{"type='method_call',destination='" + ssBusName + "'"}, uint32(0))
	// godbus closes an eavesdropping channel on Close while its reader may
	// still send to it; not eavesdropping by then, it doesn't.
	defer mon.Eavesdrop(nil)
	for on := false; !on; {
		select {
		case m := <-ch:
			require.NotEqual(t, dbus.TypeError, m.Type, "BecomeMonitor's answer: %v", m)
			on = m.Type == dbus.TypeMethodReply
		case <-time.After(10 * time.Second):
			t.Fatal("BecomeMonitor got no answer")
		}
	}
	f()
	// The bus sends a monitor what it routed before the monitored call's
	// reply; a Ping to the bus, routed after them, marks the end.
	var calls []string
	done := false
	peer, err := dbus.Connect(addr)
	require.NoError(t, err)
	defer peer.Close()
	require.NoError(t, peer.Object(ssBusName, ssPath).Call("org.freedesktop.DBus.Peer.Ping", 0).Err)
	for !done {
		select {
		case m := <-ch:
			if m.Type != dbus.TypeMethodCall {
				continue // the bus's own signals to the monitor
			}
			member, _ := m.Headers[dbus.FieldMember].Value().(string)
			if member == "Ping" {
				done = true
				continue
			}
			calls = append(calls, member)
		case <-time.After(10 * time.Second):
			t.Fatal("the monitor saw no end marker")
		}
	}
	return calls
}

// The check of a keyring in use, whose cache item is there and unlocked,
// asks the Secret Service three things, the item's read among them: each
// call costs a new process a quarter to a third of a millisecond of the
// service's time. A keyring without the item gets the whole check.
func TestSecretServiceCheckOfAKeyringInUse(t *testing.T) {
	k := keyringtest.Start(t)
	loc := secretLoc(k, "probe.cache")

	var early *earlyRead
	calls := serviceCalls(t, func() {
		var err error
		early, err = probeEncrypted(t.Context(), loc)
		require.NoError(t, err)
	})
	assert.Nil(t, early, "there is no cache to read yet")
	assert.Equal(t, []string{"SearchItems", "OpenSession", "ReadAlias", "Get"}, calls, "no item: the whole check")

	m := &fakeMSAL{}
	roundTrip(t, openEncryptedCache(t, loc, true), m, func() { m.signIn("alice", "rt-alice", "at-alice") })
	calls = serviceCalls(t, func() {
		var err error
		early, err = probeEncrypted(t.Context(), loc)
		require.NoError(t, err)
	})
	require.NotNil(t, early)
	assert.Contains(t, string(early.data), "rt-alice")
	assert.Equal(t, []string{"SearchItems", "OpenSession", "GetSecret"}, calls)
}

// A bus that refuses Hello, which now goes with the first calls without
// waiting: the error says the bus refused this process, not what became of
// the calls after it.
func TestSecretServiceBusRefusesHello(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	defer l.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		refuseHello(t, c)
	}()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)

	_, err = probeEncrypted(t.Context(), Location{Dir: t.TempDir(), Name: "refused.cache", OwnDir: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refused this process")
	assert.Contains(t, err.Error(), "maximum number of active connections")
}

// refuseHello plays a session bus that authenticates c and answers its
// Hello as dbus-daemon does when the user has too many connections, then
// hangs up.
func refuseHello(t *testing.T, c net.Conn) {
	r := bufio.NewReader(c)
	if _, err := r.ReadByte(); err != nil { // the credentials byte
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch {
		case strings.HasPrefix(line, "AUTH EXTERNAL"):
			_, _ = c.Write([]byte("OK 0123456789abcdef0123456789abcdef\r\n"))
		case strings.HasPrefix(line, "AUTH"):
			_, _ = c.Write([]byte("REJECTED EXTERNAL\r\n"))
		case strings.HasPrefix(line, "BEGIN"):
			m, err := dbus.DecodeMessage(r)
			if err != nil {
				t.Errorf("decoding the first message: %v", err)
				return
			}
			member, _ := m.Headers[dbus.FieldMember].Value().(string)
			assert.Equal(t, "Hello", member, "the first message")
			reply := &dbus.Message{
				Type: dbus.TypeError,
				Headers: map[dbus.HeaderField]dbus.Variant{
					dbus.FieldReplySerial: dbus.MakeVariant(m.Serial()),
					dbus.FieldErrorName:   dbus.MakeVariant("org.freedesktop.DBus.Error.LimitsExceeded"),
					dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf("")),
				},
				Body: []any{"The maximum number of active connections for UID 1000 has been reached"},
			}
			var b bytes.Buffer
			if err := reply.EncodeTo(&b, binary.LittleEndian); err != nil {
				t.Errorf("encoding the refusal: %v", err)
				return
			}
			// Its serial, which godbus leaves for a connection to set, and
			// which mustn't be 0.
			binary.LittleEndian.PutUint32(b.Bytes()[8:12], 1)
			_, _ = c.Write(b.Bytes())
			return
		default:
			_, _ = c.Write([]byte("ERROR\r\n"))
		}
	}
}
