package broker

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// message is a D-Bus message in byte order 'l' or 'B' whose header fields
// array is fields bytes long and whose body is body bytes long. Its contents
// are zeros: the framing reads lengths only.
func message(order byte, fields, body uint32) []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	if order == 'B' {
		bo = binary.BigEndian
	}
	m := make([]byte, fixedHeaderSize, fixedHeaderSize+int(fields+7)&^7+int(body))
	m[0], m[1], m[3] = order, 2, 1 // a method return, protocol version 1
	bo.PutUint32(m[4:], body)
	bo.PutUint32(m[8:], 1)
	bo.PutUint32(m[12:], fields)
	return append(m, make([]byte, int(fields+7)&^7+int(body))...)
}

// chunks returns at most step bytes a Read.
type chunks struct {
	r    io.Reader
	step int
}

func (c chunks) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.step)]) }

// readAll reads f until it fails, in reads of up to bufSize bytes, and
// returns what it delivered and the error that ended it.
func readAll(f *frameReader, bufSize int) ([]byte, error) {
	var got []byte
	buf := make([]byte, bufSize)
	for {
		n, err := f.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
}

func TestFrameReader(t *testing.T) {
	cat := func(ms ...[]byte) []byte { return bytes.Join(ms, nil) }
	for _, tt := range []struct {
		name      string
		stream    []byte
		maxMsg    uint64
		maxTotal  uint64
		delivered int    // bytes delivered, one a read: up to the one that breaks the limits
		fails     string // "" for none
	}{
		{"messages within the limits", cat(message('l', 5, 100), message('B', 8, 0), message('l', 0, 0)), 200, 1000, 16 + 8 + 100 + 16 + 8 + 16, ""},
		{"a message at the limit", message('l', 1, 200-16-8), 200, 1000, 200, ""},
		{"a message past the limit", cat(message('l', 8, 10), message('l', 1, 200-16-8+1)), 200, 1000, 16 + 8 + 10 + 15, "a D-Bus message of 201 bytes came"},
		{"a bad byte order", cat(message('l', 0, 8), message('x', 0, 0)), 200, 1000, 24 + 15, `byte order 'x'`},
		{"too much in all", cat(message('l', 0, 100), message('l', 0, 100)), 200, 200, 200, "more than 200 bytes came on one connection"},
		{"exactly all the budget", cat(message('l', 0, 84), message('l', 0, 84)), 200, 200, 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &frameReader{r: chunks{bytes.NewReader(tt.stream), 1}, maxMessage: tt.maxMsg, maxTotal: tt.maxTotal}
			got, err := readAll(f, 64)
			assert.Equal(t, tt.stream[:tt.delivered], got)
			if tt.fails == "" {
				require.ErrorIs(t, err, io.EOF)
				return
			}
			var limit *errConnectionLimit
			require.ErrorAs(t, err, &limit)
			assert.Contains(t, err.Error(), tt.fails)
			_, again := f.Read(make([]byte, 8))
			assert.Equal(t, err, again, "the failure is sticky")
		})
	}

	t.Run("32-bit lengths summed in 64 bits", func(t *testing.T) {
		h := message('l', 0, 0)
		binary.LittleEndian.PutUint32(h[4:], 0xffffffff)
		binary.LittleEndian.PutUint32(h[12:], 0xfffffff0)
		f := &frameReader{r: bytes.NewReader(h), maxMessage: 1 << 20, maxTotal: 1 << 21}
		got, err := readAll(f, 64)
		assert.Empty(t, got)
		assert.ErrorContains(t, err, "a D-Bus message of 8589934591 bytes came")
	})
}

// refLimit is where the stream data breaks the limits, by a reading of the
// specification independent of frameReader's: the offset just past the fixed
// header of the first message too large or in no byte order, or maxTotal+1 if
// data is longer than maxTotal, whichever is first; -1 if data keeps them.
func refLimit(data []byte, maxMsg, maxTotal uint64) int {
	bad := -1
	for off := uint64(0); off+fixedHeaderSize <= uint64(len(data)); {
		h := data[off : off+fixedHeaderSize]
		var bo binary.ByteOrder
		switch h[0] {
		case 'l':
			bo = binary.LittleEndian
		case 'B':
			bo = binary.BigEndian
		}
		if bo == nil {
			bad = int(off + fixedHeaderSize)
			break
		}
		fields := uint64(bo.Uint32(h[12:]))
		size := fixedHeaderSize + fields + (8-fields%8)%8 + uint64(bo.Uint32(h[4:]))
		if size > maxMsg {
			bad = int(off + fixedHeaderSize)
			break
		}
		off += size
	}
	if uint64(len(data)) > maxTotal && (bad < 0 || uint64(bad) > maxTotal+1) {
		bad = int(maxTotal + 1)
	}
	return bad
}

// FuzzFrameReader: whatever the stream and however it is cut into reads,
// frameReader delivers a prefix of it that keeps the limits, and fails only
// in the read that would deliver the first byte that breaks them.
func FuzzFrameReader(f *testing.F) {
	f.Add(bytes.Join([][]byte{message('l', 5, 100), message('B', 8, 0)}, nil), uint8(7), uint8(16), uint16(200), uint16(1000))
	f.Add(message('l', 1, 300), uint8(1), uint8(1), uint16(200), uint16(1000))
	f.Add([]byte("lxxx\xff\xff\xff\xffxxxx\x00\x00\x00\x00"), uint8(3), uint8(5), uint16(200), uint16(1000))
	f.Add(message('l', 0, 90), uint8(50), uint8(60), uint16(200), uint16(100))
	f.Fuzz(func(t *testing.T, data []byte, step, bufSize uint8, maxMsg, maxTotal uint16) {
		fr := &frameReader{r: chunks{bytes.NewReader(data), int(step%64) + 1}, maxMessage: uint64(maxMsg), maxTotal: uint64(maxTotal)}
		buf := int(bufSize%64) + 1
		got, err := readAll(fr, buf)
		require.True(t, bytes.Equal(data[:len(got)], got), "a prefix of the stream")
		bad := refLimit(data, uint64(maxMsg), uint64(maxTotal))
		var limit *errConnectionLimit
		switch {
		case errors.Is(err, io.EOF):
			require.Equal(t, -1, bad, "the stream breaks the limits at %d, but all %d bytes came", bad, len(data))
			require.Len(t, got, len(data))
		case errors.As(err, &limit):
			require.NotEqual(t, -1, bad, "failed though the stream keeps the limits: %v", err)
			require.Less(t, len(got), bad, "delivered bytes past the limits")
			require.LessOrEqual(t, bad, len(got)+buf, "failed before the read that breaks the limits")
		default:
			require.NoError(t, err)
		}
	})
}
