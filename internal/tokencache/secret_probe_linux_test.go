package tokencache

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
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

// A bus that refuses Hello: the error says the bus refused this process, and
// the check ends at once, whether the bus then hangs up (as dbus-daemon
// does) or keeps the connection open and answers nothing more, where a call
// after Hello would wait for as long as ctx allows (for a Read or Write,
// perhaps forever).
func TestSecretServiceBusRefusesHello(t *testing.T) {
	for _, keepOpen := range []bool{false, true} {
		t.Run(map[bool]string{false: "hangs up", true: "keeps the connection"}[keepOpen], func(t *testing.T) {
			sock := filepath.Join(t.TempDir(), "bus")
			l, err := net.Listen("unix", sock)
			require.NoError(t, err)
			defer l.Close()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			defer wg.Wait()
			defer close(stop)
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				refuseHello(t, c)
				if keepOpen {
					go func() { _, _ = io.Copy(io.Discard, c) }()
					<-stop
				}
			}()
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)

			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			_, err = openEncrypted(ctx, Location{Dir: t.TempDir(), Name: "refused.cache", OwnDir: true})
			require.Error(t, err)
			require.NoError(t, ctx.Err(), "the check waited until its context ended: %v", err)
			assert.Contains(t, err.Error(), "refused this process")
			assert.Contains(t, err.Error(), "maximum number of active connections")
		})
	}
}

// refuseHello plays a session bus that authenticates c and answers its
// Hello as dbus-daemon does when the user has too many connections.
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

// The check is of the default collection, where writes go: an item of the
// cache that sits unlocked in another collection (gnome-keyring's "session" one here) while the default is
// locked, with no way to prompt, says nothing of whether the cache can be
// written. The check then says the Secret Service is unavailable, so that
// AllowUnencryptedStorage falls back to files, rather than passing and
// every write failing later.
func TestSecretServiceCheckWantsTheItemInTheDefaultCollection(t *testing.T) {
	keyringtest.StartLocked(t)
	loc := Location{Dir: t.TempDir(), Name: "elsewhere.cache", OwnDir: true}
	s := newSecretService(loc.modeName(true))

	conn, err := dbus.ConnectSessionBus()
	require.NoError(t, err)
	defer conn.Close()
	var ignored dbus.Variant
	var session dbus.ObjectPath
	require.NoError(t, conn.Object(ssBusName, ssPath).Call(ssService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&ignored, &session))
	props := map[string]dbus.Variant{
		ssItem + ".Label":      dbus.MakeVariant(msalSecretLabel),
		ssItem + ".Attributes": dbus.MakeVariant(s.attrs),
	}
	var item, prompt dbus.ObjectPath
	require.NoError(t, conn.Object(ssBusName, "/org/freedesktop/secrets/collection/session").
		Call(ssCollection+".CreateItem", 0, props, secretValue{session, []byte{}, []byte(`{}`), "text/plain"}, true).
		Store(&item, &prompt))
	require.Equal(t, nullPath, prompt)

	_, err = Encrypted(t.Context(), loc)
	var ue *UnavailableError
	require.ErrorAs(t, err, &ue, "the default collection is locked and can't be unlocked here")
}

// The same on a bare bus, with a service that has an item unlocked in a
// collection other than the default, whose Unlock unlocks nothing.
type elsewhereService struct{ value []byte }

const (
	elsewhereDefault = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	elsewhereItem    = dbus.ObjectPath("/org/freedesktop/secrets/collection/other/1")
)

func (elsewhereService) OpenSession(string, dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	return dbus.MakeVariant(""), "/org/freedesktop/secrets/session/1", nil
}

func (elsewhereService) SearchItems(map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	return []dbus.ObjectPath{elsewhereItem}, []dbus.ObjectPath{}, nil
}

func (elsewhereService) ReadAlias(string) (dbus.ObjectPath, *dbus.Error) {
	return elsewhereDefault, nil
}

func (elsewhereService) Unlock([]dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	return []dbus.ObjectPath{}, nullPath, nil // nothing unlocked and no prompt
}

type lockedCollection struct{}

func (lockedCollection) Get(string, string) (dbus.Variant, *dbus.Error) {
	return dbus.MakeVariant(true), nil
}

type elsewhereItemObject struct{ s *elsewhereService }

func (i elsewhereItemObject) GetSecret(session dbus.ObjectPath) (secretValue, *dbus.Error) {
	return secretValue{Session: session, Parameters: []byte{}, Value: i.s.value, ContentType: "text/plain"}, nil
}

func TestSecretServiceCheckWantsTheItemInTheDefaultCollectionBareBus(t *testing.T) {
	keyringtest.BareBus(t)
	conn, err := dbus.ConnectSessionBus()
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	svc := &elsewhereService{value: []byte(`{"RefreshToken":{}}`)}
	require.NoError(t, conn.Export(svc, ssPath, ssService))
	require.NoError(t, conn.Export(lockedCollection{}, elsewhereDefault, "org.freedesktop.DBus.Properties"))
	require.NoError(t, conn.Export(elsewhereItemObject{svc}, elsewhereItem, ssItem))
	reply, err := conn.RequestName(ssBusName, dbus.NameFlagDoNotQueue)
	require.NoError(t, err)
	require.Equal(t, dbus.RequestNameReplyPrimaryOwner, reply)

	_, err = Encrypted(t.Context(), Location{Dir: t.TempDir(), Name: "elsewhere.cache", OwnDir: true})
	var ue *UnavailableError
	require.ErrorAs(t, err, &ue, "the default collection is locked and can't be unlocked: writes can't succeed")
	assert.Contains(t, err.Error(), "locked")
}
