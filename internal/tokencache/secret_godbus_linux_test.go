//go:build linux

package tokencache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/godbus/dbus/v5"
)

// BenchmarkGodbusSecret is what godbus itself spends on a cache's bytes, in
// process and without a bus: encoding CreateItem's call and decoding
// GetSecret's reply, and storing that reply's Secret struct into a
// secretValue (dbus.Store). godbus handles a byte array one reflected
// element at a time; bytes=0 is the same message with an empty value, so the
// difference is the value's cost. 8 KB is a typical cache, 50 KB a large one.
func BenchmarkGodbusSecret(b *testing.B) {
	for _, size := range []int{0, 8 << 10, 50 << 10} {
		value := bytes.Repeat([]byte("x"), size)
		secret := secretValue{Session: "/org/freedesktop/secrets/session/1", Parameters: []byte{}, Value: value, ContentType: "text/plain"}
		props := map[string]dbus.Variant{
			ssItem + ".Label":      dbus.MakeVariant(msalSecretLabel),
			ssItem + ".Attributes": dbus.MakeVariant(newSecretService("bench.cae").attrs),
		}
		call := &dbus.Message{
			Type: dbus.TypeMethodCall,
			Headers: map[dbus.HeaderField]dbus.Variant{
				dbus.FieldPath:      dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/secrets/collection/login")),
				dbus.FieldInterface: dbus.MakeVariant(ssCollection),
				dbus.FieldMember:    dbus.MakeVariant("CreateItem"),
				dbus.FieldSignature: dbus.MakeVariant(dbus.SignatureOf(props, secret, true)),
			},
			Body: []any{props, secret, true},
		}
		reply := &dbus.Message{
			Type: dbus.TypeMethodReply,
			Headers: map[dbus.HeaderField]dbus.Variant{
				dbus.FieldReplySerial: dbus.MakeVariant(uint32(2)),
				dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(secret)),
			},
			Body: []any{secret},
		}
		var wire bytes.Buffer
		if err := reply.EncodeTo(&wire, binary.LittleEndian); err != nil {
			b.Fatal(err)
		}
		// A connection sets the serial; DecodeMessage refuses 0.
		binary.LittleEndian.PutUint32(wire.Bytes()[8:12], 1)
		encoded := wire.Bytes()

		b.Run(fmt.Sprintf("op=encode/bytes=%d", size), func(b *testing.B) {
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				if err := call.EncodeTo(&out, binary.LittleEndian); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("op=decode/bytes=%d", size), func(b *testing.B) {
			for b.Loop() {
				if _, err := dbus.DecodeMessage(bytes.NewReader(encoded)); err != nil {
					b.Fatal(err)
				}
			}
		})
		m, err := dbus.DecodeMessage(bytes.NewReader(encoded))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("op=store/bytes=%d", size), func(b *testing.B) {
			for b.Loop() {
				var got secretValue
				if err := dbus.Store(m.Body, &got); err != nil || len(got.Value) != size {
					b.Fatalf("stored %d bytes: %v", len(got.Value), err)
				}
			}
		})
	}
}
