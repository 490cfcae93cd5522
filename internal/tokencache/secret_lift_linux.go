//go:build linux

package tokencache

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/godbus/dbus/v5"
)

// liftConn is the Secret Service connection's socket as godbus uses it.
// godbus (v5.2.4, the newest) encodes and decodes a byte array one byte at a
// time through reflection, 120-140 ns a byte here: a new process spent 2 ms
// of its 13 decoding an 8 KB cache, and a 100 KB cache took 14 ms to read
// and 12 ms to encode for writing. So the secret's bytes go around godbus:
//
//   - Reading, it hands godbus every message unchanged but GetSecret's
//     reply, a Secret struct (oayays), whose value it lifts out: godbus gets
//     the message with an empty value, and take returns the bytes.
//   - Writing, CreateItem is encoded by godbus with an empty value, and the
//     value given to place is put into the message on its way out.
//
// Messages are parsed only as far as their framing, header fields and those
// bodies; anything else, or anything it can't parse, passes through
// untouched, and after a message it can't frame it passes everything through.
type liftConn struct {
	net.Conn
	// begun is set when the client sends BEGIN, ending the authentication
	// lines: D-Bus messages follow.
	begun atomic.Bool

	// Read's state, used by godbus's one reading goroutine.
	passing bool   // a message couldn't be framed: pass the rest through
	in      []byte // read from the socket, not yet a whole message
	out     []byte // ready for godbus

	mu      sync.Mutex // guards lifted and placing
	lifted  [][]byte   // values lifted from replies, oldest first
	placing []byte     // the value for the next CreateItem; nil once sent
}

// maxMessage is D-Bus's limit on a message (and godbus's).
const maxMessage = 1 << 27

const (
	// secretSignature is the body of GetSecret's reply: a Secret struct.
	secretSignature = "(oayays)"
	// createItemSignature is CreateItem's: properties, secret, replace.
	createItemSignature = "a{sv}" + secretSignature + "b"

	methodCall   = 1
	methodReturn = 2
)

// Write implements net.Conn: it notices the end of authentication, and puts
// the value given to place into the CreateItem call that godbus writes (in
// one Write, as it writes every message).
func (c *liftConn) Write(p []byte) (int, error) {
	if !c.begun.Load() {
		if bytes.HasSuffix(p, []byte("BEGIN\r\n")) {
			c.begun.Store(true)
		}
		return c.Conn.Write(p)
	}
	out, err := c.placeInto(p)
	if err != nil {
		return 0, err
	}
	if out != nil {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// errNotPlaced refuses a message that is, or may be, the CreateItem meant to
// carry the value given to place but can't take it: sent, it would replace
// the cache with an empty secret.
var errNotPlaced = errors.New("the secret couldn't be put into the Secret Service call")

// place gives the value of the next CreateItem, which the caller encodes
// with an empty value.
func (c *liftConn) place(value []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.placing = value
	if c.placing == nil {
		c.placing = []byte{} // nil means "sent"
	}
}

// placed reports whether the value given to place went out, and forgets it.
func (c *liftConn) placed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	sent := c.placing == nil
	c.placing = nil
	return sent
}

// placeInto returns msg with the value given to place put in, when msg is
// exactly one CreateItem call whose secret's value is empty, or nil when
// msg is another message or there's no value to place. While a value waits,
// a message that isn't one whole message with a header that parses, or a
// CreateItem that can't take the value, is refused with errNotPlaced rather
// than sent.
func (c *liftConn) placeInto(msg []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.placing == nil {
		return nil, nil
	}
	if size, err := messageSize(msg); err != nil || size == 0 || size != len(msg) {
		return nil, errNotPlaced
	}
	order, _ := byteOrder(msg[0])
	fieldsEnd := 16 + int(order.Uint32(msg[12:]))
	sig, ok := headerSignature(msg[:fieldsEnd], order)
	if !ok {
		return nil, errNotPlaced
	}
	if msg[1] != methodCall || sig != createItemSignature {
		return nil, nil
	}
	start := align(fieldsEnd, 8)
	body := msg[start:]
	r := reader{b: body, order: order}
	props := r.u32() // a{sv}: skipped whole; its entries are 8-aligned
	r.align(8)
	r.take(int(props))
	r.align(8) // the Secret struct
	r.str()
	r.array()
	r.align(4)
	at := r.off
	if len(r.array()) != 0 {
		return nil, errNotPlaced
	}
	rest := r.off // s and b, from align(rest, 4) = rest
	r.str()
	r.u32()
	if r.bad || r.off != len(body) || props > maxMessage {
		return nil, errNotPlaced
	}
	value := c.placing
	n := align(at+4+len(value), 4)
	if start+n+len(body)-rest > maxMessage {
		return nil, errNotPlaced
	}
	out := make([]byte, 0, start+n+len(body)-rest)
	out = append(out, msg[:start]...)
	out = append(out, body[:at]...)
	out = order.AppendUint32(out, uint32(len(value)))
	out = append(out, value...)
	out = append(out, make([]byte, n-(at+4+len(value)))...)
	out = append(out, body[rest:]...)
	order.PutUint32(out[4:], uint32(len(out)-start))
	c.placing = nil
	return out, nil
}

// Read implements net.Conn: whole messages once authentication is over, each
// passed through lift.
func (c *liftConn) Read(p []byte) (int, error) {
	if !c.begun.Load() {
		return c.Conn.Read(p)
	}
	for len(c.out) == 0 {
		if c.passing {
			if len(c.in) == 0 {
				return c.Conn.Read(p)
			}
			c.out, c.in = c.in, nil
			break
		}
		size, err := messageSize(c.in)
		if err != nil {
			c.passing = true
			continue
		}
		if size > 0 && len(c.in) >= size {
			c.out = c.lift(c.in[:size:size])
			c.in = c.in[size:]
			continue
		}
		if err := c.fill(size); err != nil {
			if len(c.in) == 0 {
				return 0, err
			}
			// A message cut short: hand over what came, and the error next.
			c.passing = true
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// fill reads once from the socket into c.in, making room for a message of
// size bytes (0: not yet known).
func (c *liftConn) fill(size int) error {
	want := max(size, len(c.in)+4096)
	if cap(c.in)-len(c.in) < want-len(c.in) {
		grown := make([]byte, len(c.in), want)
		copy(grown, c.in)
		c.in = grown
	}
	n, err := c.Conn.Read(c.in[len(c.in):cap(c.in)])
	c.in = c.in[:len(c.in)+n]
	if n > 0 {
		return nil
	}
	return err
}

// take returns the oldest value lifted and not yet taken.
func (c *liftConn) take() ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.lifted) == 0 {
		return nil, false
	}
	v := c.lifted[0]
	c.lifted = c.lifted[1:]
	return v, true
}

// messageSize returns the size of the message b begins with, or 0 when b
// doesn't hold its fixed header yet; an error means b isn't D-Bus.
func messageSize(b []byte) (int, error) {
	if len(b) < 16 {
		return 0, nil
	}
	order, ok := byteOrder(b[0])
	if !ok {
		return 0, errors.New("not a D-Bus message")
	}
	body, fields := order.Uint32(b[4:]), order.Uint32(b[12:])
	if body > maxMessage || fields > maxMessage {
		return 0, errors.New("D-Bus message too long")
	}
	size := align(16+int(fields), 8) + int(body)
	if size > maxMessage {
		return 0, errors.New("D-Bus message too long")
	}
	return size, nil
}

// wireOrder is a message's byte order.
type wireOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func byteOrder(b byte) (wireOrder, bool) {
	switch b {
	case 'l':
		return binary.LittleEndian, true
	case 'B':
		return binary.BigEndian, true
	}
	return nil, false
}

func align(n, to int) int { return (n + to - 1) / to * to }

// lift returns msg, a whole message, with the value of its Secret struct
// emptied when it is a reply carrying one, keeping the value for take; any
// other message, or one that doesn't parse as expected, is msg itself.
func (c *liftConn) lift(msg []byte) []byte {
	if msg[1] != methodReturn {
		return msg
	}
	order, _ := byteOrder(msg[0])
	fieldsEnd := 16 + int(order.Uint32(msg[12:]))
	if signatureOf(msg[:fieldsEnd], order) != secretSignature {
		return msg
	}
	start := align(fieldsEnd, 8)
	body := msg[start:]
	r := reader{b: body, order: order}
	r.str()   // o: the session
	r.array() // ay: the parameters
	r.align(4)
	at := r.off // ay: the value
	value := r.array()
	rest := r.off // s: the content type, from align(rest, 4)
	r.str()
	if r.bad || r.off != len(body) {
		return msg
	}
	out := make([]byte, 0, start+at+4+len(body)-align(rest, 4))
	out = append(out, msg[:start]...)
	out = append(out, body[:at]...)
	out = order.AppendUint32(out, 0)
	out = append(out, body[align(rest, 4):]...)
	order.PutUint32(out[4:], uint32(len(out)-start))

	c.mu.Lock()
	c.lifted = append(c.lifted, bytes.Clone(value))
	c.mu.Unlock()
	return out
}

// signatureOf returns the SIGNATURE header field of a message's fixed header
// and header fields, or "" if it has none or they don't parse.
func signatureOf(header []byte, order wireOrder) string {
	sig, _ := headerSignature(header, order)
	return sig
}

// headerSignature is signatureOf, reporting whether the header fields
// parsed.
func headerSignature(header []byte, order wireOrder) (string, bool) {
	r := reader{b: header, order: order, off: 16}
	sig := ""
	for r.off < len(header) && !r.bad {
		r.align(8)
		code := r.byte()
		switch t := r.sig(); t {
		case "s", "o":
			r.str()
		case "g":
			if s := r.sig(); code == 8 {
				sig = s
			}
		case "u", "h":
			r.u32()
		default:
			return "", false
		}
	}
	if r.bad {
		return "", false
	}
	return sig, true
}

// reader reads D-Bus's wire format from b, whose offset 0 is 8-aligned; any
// read past b's end sets bad and reads zeros.
type reader struct {
	b     []byte
	order wireOrder
	off   int
	bad   bool
}

func (r *reader) align(to int) {
	r.off = align(r.off, to)
	if r.off > len(r.b) {
		r.bad = true
	}
}

func (r *reader) take(n int) []byte {
	if r.bad || n < 0 || n > len(r.b)-r.off {
		r.bad = true
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *reader) byte() byte {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	r.align(4)
	if v := r.take(4); v != nil {
		return r.order.Uint32(v)
	}
	return 0
}

// str reads a string or object path: length, bytes, NUL.
func (r *reader) str() string {
	n := r.u32()
	if n > maxMessage {
		r.bad = true
		return ""
	}
	s := r.take(int(n) + 1)
	if s == nil {
		return ""
	}
	return string(s[:n])
}

// sig reads a signature: one length byte, bytes, NUL.
func (r *reader) sig() string {
	n := int(r.byte())
	s := r.take(n + 1)
	if s == nil {
		return ""
	}
	return string(s[:n])
}

// array reads a byte array.
func (r *reader) array() []byte {
	n := r.u32()
	if n > maxMessage {
		r.bad = true
		return nil
	}
	return r.take(int(n))
}

// dialSecretService connects to the bus at addr. A unix socket, the session
// bus's usual address, is dialled here so that a liftConn can sit between
// it and godbus; any other address is godbus's to dial, without one.
func dialSecretService(ctx context.Context, addr string, opts ...dbus.ConnOption) (*dbus.Conn, *liftConn, error) {
	if path, ok := unixSocket(addr); ok {
		var d net.Dialer
		sock, err := d.DialContext(ctx, "unix", path)
		if err != nil {
			return nil, nil, err
		}
		lift := &liftConn{Conn: sock}
		conn, err := dbus.NewConn(lift, opts...)
		if err != nil {
			_ = sock.Close()
			return nil, nil, err
		}
		return conn, lift, nil
	}
	conn, err := dbus.Dial(addr, opts...)
	return conn, nil, err
}

// unixSocket returns the socket of a bus address that is exactly one unix
// path or abstract socket ("@" names an abstract one for package net).
func unixSocket(addr string) (string, bool) {
	rest, ok := strings.CutPrefix(addr, "unix:")
	if !ok || strings.Contains(rest, ";") {
		return "", false
	}
	for kv := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(kv, "=")
		if k != "path" && k != "abstract" {
			continue
		}
		v, err := dbus.UnescapeBusAddressValue(v)
		if err != nil || v == "" {
			return "", false
		}
		if k == "abstract" {
			v = "@" + v
		}
		return v, true
	}
	return "", false
}
