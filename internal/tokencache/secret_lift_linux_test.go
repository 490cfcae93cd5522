//go:build linux

package tokencache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunkConn is a socket that delivers r in reads of at most chunk bytes.
type chunkConn struct {
	net.Conn
	r     io.Reader
	chunk int
}

func (c *chunkConn) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.chunk)]) }

// encoded returns msg in the wire format, in order.
func encoded(t testing.TB, msg *dbus.Message, order binary.ByteOrder) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, msg.EncodeTo(&b, order))
	return b.Bytes()
}

// reply is a method reply carrying body.
func reply(body ...any) *dbus.Message {
	return &dbus.Message{
		Type: dbus.TypeMethodReply,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldReplySerial: dbus.MakeVariant(uint32(7)),
			dbus.FieldSender:      dbus.MakeVariant(":1.42"),
			dbus.FieldDestination: dbus.MakeVariant(":1.43"),
			dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(body...)),
		},
		Body: body,
	}
}

// lifting returns a liftConn past authentication over wire, read in chunks.
func lifting(wire []byte, chunk int) *liftConn {
	c := &liftConn{Conn: &chunkConn{r: bytes.NewReader(wire), chunk: chunk}}
	c.begun.Store(true)
	return c
}

// GetSecret's replies reach godbus with an empty value, which take returns;
// every other message reaches it unchanged. Sizes vary the padding around
// the value, and reads come in pieces of any size.
func TestLiftConnLiftsSecretValues(t *testing.T) {
	signal := &dbus.Message{
		Type: dbus.TypeSignal,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:      dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/DBus")),
			dbus.FieldInterface: dbus.MakeVariant("org.freedesktop.DBus"),
			dbus.FieldMember:    dbus.MakeVariant("NameAcquired"),
			dbus.FieldSignature: dbus.MakeVariant(dbus.SignatureOf(":1.43")),
		},
		Body: []any{":1.43"},
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, size := range []int{0, 1, 3, 4, 5, 8, 100 << 10} {
			for _, params := range []int{0, 1, 2, 3, 16} {
				for _, chunk := range []int{1, 7, 4096, 1 << 20} {
					t.Run(fmt.Sprintf("%s/value=%d/params=%d/chunk=%d", order, size, params, chunk), func(t *testing.T) {
						value := bytes.Repeat([]byte{0xa5}, size)
						secret := secretValue{Session: "/org/freedesktop/secrets/session/s1", Parameters: make([]byte, params), Value: value, ContentType: "text/plain"}
						others := reply([]dbus.ObjectPath{"/a"}, []dbus.ObjectPath{})
						var wire []byte
						wire = append(wire, encoded(t, signal, order)...)
						wire = append(wire, encoded(t, reply(secret), order)...)
						wire = append(wire, encoded(t, others, order)...)

						c := lifting(wire, chunk)
						got, err := dbus.DecodeMessage(c)
						require.NoError(t, err)
						assert.Equal(t, signal.Body, got.Body)

						got, err = dbus.DecodeMessage(c)
						require.NoError(t, err)
						require.Len(t, got.Body, 1)
						assert.Equal(t, []any{secret.Session, secret.Parameters, []byte{}, secret.ContentType}, got.Body[0])
						lifted, ok := c.take()
						require.True(t, ok)
						assert.Equal(t, value, lifted)

						got, err = dbus.DecodeMessage(c)
						require.NoError(t, err)
						assert.Equal(t, others.Body, got.Body)
						_, ok = c.take()
						assert.False(t, ok, "only the Secret struct is lifted")
					})
				}
			}
		}
	}
}

// Bytes that aren't D-Bus pass through as they are, for godbus to refuse.
func TestLiftConnPassesWhatItCannotFrame(t *testing.T) {
	wire := append([]byte("x garbage that is not D-Bus"), bytes.Repeat([]byte{1}, 100)...)
	got, err := io.ReadAll(lifting(wire, 5))
	require.NoError(t, err)
	assert.Equal(t, wire, got)
}

// Authentication lines pass through until the client sends BEGIN.
func TestLiftConnBeginsAfterAuthentication(t *testing.T) {
	server, client := net.Pipe()
	c := &liftConn{Conn: client}
	go func() {
		buf := make([]byte, 64)
		_, _ = server.Read(buf) // AUTH
		_, _ = server.Write([]byte("OK 1234\r\n"))
		_, _ = server.Read(buf) // BEGIN
	}()
	_, err := c.Write([]byte("AUTH EXTERNAL 30\r\n"))
	require.NoError(t, err)
	assert.False(t, c.begun.Load())
	line := make([]byte, 9)
	_, err = io.ReadFull(c, line)
	require.NoError(t, err)
	assert.Equal(t, "OK 1234\r\n", string(line))
	_, err = c.Write([]byte("BEGIN\r\n"))
	require.NoError(t, err)
	assert.True(t, c.begun.Load())
	_ = c.Close()
}

func TestUnixSocket(t *testing.T) {
	for _, tc := range []struct {
		addr, want string
		ok         bool
	}{
		{"unix:path=/run/user/1000/bus", "/run/user/1000/bus", true},
		{"unix:path=/tmp/a%20b,guid=0123", "/tmp/a b", true},
		{"unix:abstract=/tmp/dbus-XYZ,guid=0123", "@/tmp/dbus-XYZ", true},
		{"unix:guid=0123,path=/p", "/p", true},
		{"unix:path=/a;unix:path=/b", "", false},
		{"tcp:host=localhost,port=1", "", false},
		{"unix:tmpdir=/tmp", "", false},
		{"unix:path=", "", false},
		{"unix:path=%zz", "", false},
	} {
		got, ok := unixSocket(tc.addr)
		assert.Equal(t, tc.ok, ok, tc.addr)
		assert.Equal(t, tc.want, got, tc.addr)
	}
}

// FuzzLiftConn: whatever arrives, godbus reads what was sent, but for the
// value of a Secret struct, which take returns instead; a liftConn never
// fails where the socket didn't.
func FuzzLiftConn(f *testing.F) {
	secret := secretValue{Session: "/s", Parameters: []byte{1}, Value: []byte("value"), ContentType: "text/plain"}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		f.Add(encoded(f, reply(secret), order), 3)
		f.Add(encoded(f, reply("just a string"), order), 16)
	}
	f.Fuzz(func(t *testing.T, wire []byte, chunk int) {
		if chunk <= 0 || chunk > 1<<16 {
			chunk = 1 << 16
		}
		c := lifting(wire, chunk)
		passed, err := io.ReadAll(c)
		require.NoError(t, err)
		var lifted [][]byte
		for v, ok := c.take(); ok; v, ok = c.take() {
			lifted = append(lifted, v)
		}
		if len(lifted) == 0 {
			assert.Equal(t, wire, passed)
			return
		}
		// Each message godbus reads from what passed is the one sent, with
		// the lifted value back in place.
		sent, got := bytes.NewReader(wire), bytes.NewReader(passed)
		for got.Len() > 0 {
			want, err := dbus.DecodeMessage(sent)
			if err != nil {
				return // godbus refuses the original too, and its messages after
			}
			msg, err := dbus.DecodeMessage(got)
			require.NoError(t, err, "godbus read the original but not what passed")
			if s, ok := msg.Headers[dbus.FieldSignature].Value().(dbus.Signature); ok && s.String() == secretSignature && msg.Type == dbus.TypeMethodReply && len(lifted) > 0 {
				fields := msg.Body[0].([]any)
				if assert.Empty(t, fields[2]) {
					fields[2] = lifted[0]
					lifted = lifted[1:]
				}
			}
			assert.Equal(t, want.Body, msg.Body)
		}
		assert.Empty(t, lifted, "values lifted from no message")
	})
}

// createItem is the CreateItem call that store makes, with value.
func createItem(label string, attrs map[string]string, params, value []byte) *dbus.Message {
	props := map[string]dbus.Variant{
		ssItem + ".Label":      dbus.MakeVariant(label),
		ssItem + ".Attributes": dbus.MakeVariant(attrs),
	}
	secret := secretValue{Session: "/org/freedesktop/secrets/session/s1", Parameters: params, Value: value, ContentType: "text/plain"}
	return &dbus.Message{
		Type: dbus.TypeMethodCall,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:        dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/secrets/collection/login")),
			dbus.FieldInterface:   dbus.MakeVariant(ssCollection),
			dbus.FieldMember:      dbus.MakeVariant("CreateItem"),
			dbus.FieldDestination: dbus.MakeVariant(ssBusName),
			dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(props, secret, true)),
		},
		Body: []any{props, secret, true},
	}
}

// recordConn records what is written to it.
type recordConn struct {
	net.Conn
	buf bytes.Buffer
}

func (r *recordConn) Write(p []byte) (int, error) { return r.buf.Write(p) }

// CreateItem, encoded by godbus with an empty value, goes out with the value
// given to place: what godbus would have sent with the value in it.
func TestLiftConnPlacesTheValue(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, size := range []int{0, 1, 3, 4, 5, 100 << 10} {
			for _, params := range []int{0, 1, 2, 3} {
				for _, label := range []string{"", "MSALCache", "a label of another length"} {
					t.Run(fmt.Sprintf("%s/value=%d/params=%d/label=%d", order, size, params, len(label)), func(t *testing.T) {
						attrs := map[string]string{xdgSchemaAttr: "app.cae", msalClientIDAttr: msalClientIDValue}
						value := bytes.Repeat([]byte{0x5a}, size)
						wire := &recordConn{}
						c := &liftConn{Conn: wire}
						c.begun.Store(true)
						c.place(value)
						require.NoError(t, createItem(label, attrs, make([]byte, params), []byte{}).EncodeTo(c, order))
						assert.True(t, c.placed())

						want := encoded(t, createItem(label, attrs, make([]byte, params), value), order)
						assert.Equal(t, decodedBody(t, want), decodedBody(t, wire.buf.Bytes()), "what godbus would have sent with the value in it")
					})
				}
			}
		}
	}
}

// Without a value to place, or for any other message, writes pass as they
// are, and placed says the value didn't go.
func TestLiftConnPlacesNothingElse(t *testing.T) {
	attrs := map[string]string{xdgSchemaAttr: "app.cae"}
	for name, tc := range map[string]struct {
		msg   *dbus.Message
		place []byte
	}{
		"nothing to place": {msg: createItem("l", attrs, nil, []byte{})},
		"another call":     {msg: reply("not CreateItem"), place: []byte("v")},
	} {
		t.Run(name, func(t *testing.T) {
			wire := &recordConn{}
			c := &liftConn{Conn: wire}
			c.begun.Store(true)
			if tc.place != nil {
				c.place(tc.place)
			}
			want := encoded(t, tc.msg, binary.LittleEndian)
			_, err := c.Write(want)
			require.NoError(t, err)
			assert.Equal(t, want, wire.buf.Bytes())
			assert.Equal(t, tc.place == nil, c.placed())
		})
	}
}

// While a value waits, a CreateItem that can't take it, or bytes that aren't
// one whole message, are refused, and nothing is sent: sent, the CreateItem
// would replace the cache with another secret.
func TestLiftConnRefusesWhatCannotTakeTheValue(t *testing.T) {
	attrs := map[string]string{xdgSchemaAttr: "app.cae"}
	for name, p := range map[string][]byte{
		"a value already in place": encoded(t, createItem("l", attrs, nil, []byte("v")), binary.LittleEndian),
		"half a message":           encoded(t, createItem("l", attrs, nil, []byte{}), binary.LittleEndian)[:40],
		"not D-Bus":                []byte("x not a message at all"),
	} {
		t.Run(name, func(t *testing.T) {
			wire := &recordConn{}
			c := &liftConn{Conn: wire}
			c.begun.Store(true)
			c.place([]byte("the cache"))
			_, err := c.Write(p)
			require.ErrorIs(t, err, errNotPlaced)
			assert.Zero(t, wire.buf.Len(), "nothing sent")
			assert.False(t, c.placed())
		})
	}
}

// FuzzLiftConnPlace: a CreateItem of any shape goes out as godbus would
// have sent it with the value in it; any other bytes go out as they are.
func FuzzLiftConnPlace(f *testing.F) {
	f.Add("MSALCache", "app.cae", []byte{}, []byte("value"), false, []byte(nil))
	f.Add("", "", []byte{1, 2, 3}, []byte{}, true, []byte("l\x01\x00\x01garbage"))
	f.Fuzz(func(t *testing.T, label, schema string, params, value []byte, big bool, other []byte) {
		var order binary.ByteOrder = binary.LittleEndian
		if big {
			order = binary.BigEndian
		}
		msg := createItem(label, map[string]string{xdgSchemaAttr: schema}, params, []byte{})
		var empty bytes.Buffer
		if msg.EncodeTo(&empty, order) != nil {
			return // not a valid message (a label that isn't UTF-8, say)
		}
		wire := &recordConn{}
		c := &liftConn{Conn: wire}
		c.begun.Store(true)

		_, err := c.Write(other)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(other, wire.buf.Bytes()), "nothing to place, yet the bytes changed")

		wire.buf.Reset()
		c.place(value)
		_, err = c.Write(other)
		switch {
		case err != nil:
			require.ErrorIs(t, err, errNotPlaced)
			assert.Zero(t, wire.buf.Len(), "refused, yet sent")
		case !bytes.Equal(other, wire.buf.Bytes()):
			assert.True(t, c.placed(), "the bytes changed, so the value must have gone")
			return
		}
		wire.buf.Reset()
		_, err = c.Write(empty.Bytes())
		require.NoError(t, err)
		require.True(t, c.placed())
		want := encoded(t, createItem(label, map[string]string{xdgSchemaAttr: schema}, params, value), order)
		assert.Equal(t, decodedBody(t, want), decodedBody(t, wire.buf.Bytes()))
	})
}

// decodedBody is the body of msg, one whole message, as godbus reads it.
// (Maps are encoded in their random order, so two encodings of one message
// can differ byte for byte.)
func decodedBody(t testing.TB, msg []byte) []any {
	t.Helper()
	size, err := messageSize(msg)
	require.NoError(t, err)
	require.Equal(t, len(msg), size, "one whole message")
	m, err := dbus.DecodeMessage(bytes.NewReader(msg))
	require.NoError(t, err)
	return m.Body
}

// Over a bus at an abstract socket address (what dbus-daemon's unix:tmpdir
// listens on), the Secret Service is dialled here too, under a liftConn, and
// a cache goes in and out whole.
func TestSecretServiceOverAnAbstractSocket(t *testing.T) {
	keyringtest.Start(t)
	addr, err := sessionBusAddress()
	require.NoError(t, err)
	path, ok := unixSocket(addr)
	require.True(t, ok, "the test bus listens on a unix socket: %s", addr)

	// A relay from an abstract socket to the test bus.
	name := fmt.Sprintf("/tmp/azinteractive-test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
	l, err := net.Listen("unix", "@"+name)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("unix", path)
			if err != nil {
				_ = in.Close()
				return
			}
			go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
			go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
		}
	}()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:abstract="+name+",guid=0123456789abcdef0123456789abcdef")

	s := newSecretService("abstract.cae")
	want := bytes.Repeat([]byte("0123456789"), 5000)
	require.NoError(t, s.write(t.Context(), want))
	got, err := s.read(t.Context())
	require.NoError(t, err)
	assert.Equal(t, want, got)
	require.NoError(t, withSecretService(t.Context(), func(c *ssConn) error {
		assert.NotNil(t, c.lift, "dialled here, under a liftConn")
		return nil
	}))
}
