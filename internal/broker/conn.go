package broker

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"

	"github.com/godbus/dbus/v5"
)

// godbus (v5.2.4) reads each message whole, up to 128 MiB, before anyone sees
// it. So the client dials the bus itself and hands godbus a connection that
// reads the fixed header of each message (D-Bus specification, "Message
// Format") and fails before godbus reads a body larger than a broker answer.
// dbus.NewConn's generic transport passes no Unix file descriptors (the
// broker's interface has none) and sends no SCM_CREDENTIALS (dbus-daemon
// asks the kernel, SO_PEERCRED).
const (
	fixedHeaderSize = 16

	// maxMessageSize is an answer of MaxResponseSize bytes with room to
	// spare for the header fields the bus adds.
	maxMessageSize = MaxResponseSize + 64<<10

	// maxConnectionBytes bounds what a connection reads: one call's few bus
	// answers and at most two broker answers (a retry). It also bounds a
	// header string that claims more bytes than its fields array, which
	// godbus reads on into what the framing takes for the next messages.
	maxConnectionBytes = 3 * maxMessageSize

	// maxAuthBytes bounds the bus's side of the authentication exchange.
	maxAuthBytes = 16 << 10
)

// errConnectionLimit is why a bounded connection stopped reading.
type errConnectionLimit struct{ why string }

func (e *errConnectionLimit) Error() string { return "broker: reading the bus: " + e.why }

// boundedConn passes the bus's authentication lines through until the client
// writes BEGIN (godbus's Conn.Auth writes "BEGIN\r\n" in one Write before it
// reads messages), then frames the stream into messages. Reads come from one
// goroutine at a time (Auth's, then godbus's reader, which Auth starts), so
// the framing needs no lock.
type boundedConn struct {
	net.Conn
	in      *bufio.Reader // godbus's generic transport reads a few bytes at a time
	framing atomic.Bool   // set when BEGIN is written
	auth    int           // bytes read before BEGIN
	frames  frameReader
}

func (b *boundedConn) Read(p []byte) (int, error) {
	if b.framing.Load() {
		return b.frames.Read(p)
	}
	if b.auth >= maxAuthBytes {
		return 0, &errConnectionLimit{fmt.Sprintf("more than %d bytes came while authenticating", maxAuthBytes)}
	}
	p = p[:min(len(p), maxAuthBytes-b.auth)]
	n, err := b.in.Read(p)
	b.auth += n
	return n, err
}

func (b *boundedConn) Write(p []byte) (int, error) {
	if string(p) == "BEGIN\r\n" {
		b.framing.Store(true)
	}
	return b.Conn.Write(p)
}

// frameReader reads D-Bus messages from r, and fails instead of returning
// bytes of a message larger than maxMessage, or more than maxTotal bytes in
// all: the Read that would return them, and every later one, returns an
// *errConnectionLimit. Bodies pass through unread.
type frameReader struct {
	r                    io.Reader
	maxMessage, maxTotal uint64

	header [fixedHeaderSize]byte
	have   int    // bytes of header read so far
	left   uint64 // bytes of the current message after its fixed header
	total  uint64 // bytes returned so far
	err    error  // sticky
}

func (f *frameReader) Read(p []byte) (int, error) {
	if f.err != nil || len(p) == 0 {
		return 0, f.err
	}
	// One byte more than the budget tells a stream that goes on from one
	// that ends there.
	if rest := f.maxTotal - f.total; uint64(len(p)) > rest+1 {
		p = p[:rest+1]
	}
	n, err := f.r.Read(p)
	if f.total+uint64(n) > f.maxTotal {
		f.err = &errConnectionLimit{fmt.Sprintf("more than %d bytes came on one connection, more than a call's answers take", f.maxTotal)}
	} else {
		f.err = f.scan(p[:n])
	}
	if f.err != nil {
		return 0, f.err
	}
	f.total += uint64(n)
	return n, err
}

// scan follows message boundaries through b, checking each fixed header.
func (f *frameReader) scan(b []byte) error {
	for len(b) > 0 {
		if f.left > 0 {
			k := min(uint64(len(b)), f.left)
			f.left -= k
			b = b[k:]
			continue
		}
		k := copy(f.header[f.have:], b)
		f.have += k
		b = b[k:]
		if f.have < fixedHeaderSize {
			return nil
		}
		f.have = 0
		var order binary.ByteOrder = binary.LittleEndian
		switch f.header[0] {
		case 'l':
		case 'B':
			order = binary.BigEndian
		default:
			return &errConnectionLimit{fmt.Sprintf("a D-Bus message came with byte order %q", f.header[0])}
		}
		// Fixed header, header fields padded to 8, and body, in 64 bits.
		size := fixedHeaderSize + (uint64(order.Uint32(f.header[12:]))+7)&^7 + uint64(order.Uint32(f.header[4:]))
		if size > f.maxMessage {
			return &errConnectionLimit{fmt.Sprintf("a D-Bus message of %d bytes came, larger than the %d the client reads", size, f.maxMessage)}
		}
		f.left = size - fixedHeaderSize
	}
	return nil
}

// dialBus connects to the first answering address of the list addr, as godbus
// does, and authenticates through a boundedConn. Canceling ctx closes it.
func dialBus(ctx context.Context, addr string) (*dbus.Conn, error) {
	err := errors.New("dbus: invalid bus address (no transport)")
	for _, a := range strings.Split(addr, ";") {
		var nc net.Conn
		nc, err = dialAddress(ctx, a)
		if err != nil {
			continue
		}
		bc := &boundedConn{Conn: nc, in: bufio.NewReader(nc)}
		bc.frames = frameReader{r: bc.in, maxMessage: maxMessageSize, maxTotal: maxConnectionBytes}
		conn, _ := dbus.NewConn(bc, dbus.WithContext(ctx)) // fails only for an option's error, and WithContext has none
		if err = conn.Auth(nil); err == nil {
			err = conn.Hello()
		}
		if err != nil {
			_ = conn.Close()
			return nil, err
		}
		return conn, nil
	}
	return nil, err
}

// dialAddress dials one D-Bus address ("unix:path=/run/user/1000/bus"):
// unix with path or abstract, tcp or nonce-tcp.
func dialAddress(ctx context.Context, a string) (net.Conn, error) {
	kind, keys, ok := strings.Cut(a, ":")
	if !ok {
		return nil, errors.New("dbus: invalid bus address (no transport)")
	}
	key := map[string]string{}
	for kv := range strings.SplitSeq(keys, ",") {
		k, v, _ := strings.Cut(kv, "=")
		if _, seen := key[k]; seen {
			continue
		}
		var err error
		if key[k], err = dbus.UnescapeBusAddressValue(v); err != nil {
			return nil, err
		}
	}
	var d net.Dialer
	switch kind {
	case "unix":
		path, abstract := key["path"], key["abstract"]
		switch {
		case path != "" && abstract == "":
			return d.DialContext(ctx, "unix", path)
		case abstract != "" && path == "":
			return d.DialContext(ctx, "unix", "@"+abstract)
		}
		return nil, errors.New("dbus: invalid address (set one of path and abstract)")
	case "tcp", "nonce-tcp":
		network := map[string]string{"": "tcp", "ipv4": "tcp4", "ipv6": "tcp6"}[key["family"]]
		if key["host"] == "" || key["port"] == "" || network == "" {
			return nil, errors.New("dbus: invalid address (tcp needs host, port and an ipv4 or ipv6 family)")
		}
		var nonce []byte
		if kind == "nonce-tcp" {
			if key["noncefile"] == "" {
				return nil, errors.New("dbus: invalid address (nonce-tcp needs noncefile)")
			}
			var err error
			if nonce, err = os.ReadFile(key["noncefile"]); err != nil {
				return nil, err
			}
		}
		c, err := d.DialContext(ctx, network, net.JoinHostPort(key["host"], key["port"]))
		if err != nil {
			return nil, err
		}
		if _, err := c.Write(nonce); err != nil {
			_ = c.Close()
			return nil, err
		}
		return c, nil
	}
	return nil, fmt.Errorf("dbus: unsupported bus address transport %q", kind)
}
