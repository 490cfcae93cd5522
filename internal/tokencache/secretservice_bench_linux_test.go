package tokencache

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
)

// BenchmarkSecretService measures what one process pays the Secret Service
// (a private gnome-keyring) for each operation on an 8 KB cache: a new
// connection alone, cache.New's probe, a read and a write, and a write of a
// 32-byte secret (what a key kept there, with the cache in a file, would
// cost). BENCHMARKS.md quotes it.
func BenchmarkSecretService(b *testing.B) {
	k := keyringtest.Start(b)
	for _, kv := range k.Env {
		kk, v, _ := strings.Cut(kv, "=")
		b.Setenv(kk, v)
	}
	ctx := context.Background()
	s := newSecretService("bench.nocae")
	data := bytes.Repeat([]byte("x"), 8000)
	if err := s.write(ctx, data); err != nil {
		b.Fatal(err)
	}
	b.Run("connect", func(b *testing.B) {
		for b.Loop() {
			if err := withSecretService(ctx, func(*ssConn) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("probe", func(b *testing.B) {
		for b.Loop() {
			if err := probeSecretService(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read-8KB", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.read(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write-8KB", func(b *testing.B) {
		for b.Loop() {
			if err := s.write(ctx, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write-32B", func(b *testing.B) {
		for b.Loop() {
			if err := s.write(ctx, data[:32]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
