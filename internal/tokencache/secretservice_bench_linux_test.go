package tokencache

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
)

// BenchmarkSecretService measures what one process pays the Secret Service
// (a private gnome-keyring): a new connection alone; cache.New's check,
// which reads both CAE modes' keys of a cache that has them; one key's read
// on a connection of its own; a new key's write, as a first sign-in makes
// it; and a read of an 8 KB cache item in Python's layout, which a process
// makes while its own file is empty. BENCHMARKS.md quotes it.
func BenchmarkSecretService(b *testing.B) {
	k := keyringtest.Start(b)
	for _, kv := range k.Env {
		kk, v, _ := strings.Cut(kv, "=")
		b.Setenv(kk, v)
	}
	ctx := context.Background()
	loc := secretLoc(k, "bench.cache")
	p, err := Encrypted(ctx, loc)
	if err != nil {
		b.Fatal(err)
	}
	m := &fakeMSAL{}
	m.signIn("alice", "rt", "at")
	if err := openStore(b, p, nil).Mode(true).Export(ctx, m, cache.ExportHints{}); err != nil {
		b.Fatal(err)
	}
	python := newSecretService("python.cache.nocae")
	if err := python.write(ctx, bytes.Repeat([]byte("x"), 8000)); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		op   func() error
	}{
		{"connect", func() error { return withSecretService(ctx, func(*ssConn) error { return nil }) }},
		{"check", func() error { _, err := openEncrypted(ctx, loc); return err }},
		{"read-key", func() error { _, err := newSecretKeys(loc, true).find(ctx, ""); return err }},
		{"create-key", func() error { _, err := newSecretKeys(Location{Name: "bench-new.cache"}, true).create(ctx); return err }},
		{"read-8KB-item", func() error { _, err := python.read(ctx); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := bc.op(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
