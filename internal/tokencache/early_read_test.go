package tokencache

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memStore is a secret store in memory that counts its reads.
type memStore struct {
	data  []byte
	reads int
}

func (m *memStore) read(context.Context) ([]byte, error) { m.reads++; return m.data, nil }

func (m *memStore) write(_ context.Context, data []byte) error { m.data = data; return nil }

// An early read serves the first Read while the signal file's stamp is the
// one taken before it and the check was moments ago, and never again.
func TestEarlyReadServesTheFirstReadOnly(t *testing.T) {
	for _, tc := range []struct {
		name      string
		age       time.Duration                     // how long ago the check read the cache
		since     func(t *testing.T, signal string) // what happens between the early read and the first Read
		want      string
		wantReads int
	}{
		{name: "nothing changed", since: func(*testing.T, string) {}, want: "early", wantReads: 0},
		{name: "the check was too long ago", age: earlyReadFor, since: func(*testing.T, string) {}, want: "stored", wantReads: 1},
		{name: "another process wrote", since: func(t *testing.T, signal string) {
			require.NoError(t, os.Chtimes(signal, time.Now(), time.Now().Add(time.Second)))
		}, want: "stored", wantReads: 1},
		{name: "the signal file was removed", since: func(t *testing.T, signal string) {
			require.NoError(t, os.Remove(signal))
		}, want: "stored", wantReads: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signal := filepath.Join(t.TempDir(), "app.cae")
			require.NoError(t, os.WriteFile(signal, nil, 0o600))
			stamp, err := stampOf(signal)
			require.NoError(t, err)
			store := &memStore{data: []byte("stored")}
			s := newSecretStorage(store, signal, true, nil)
			s.early.Store(&earlyRead{cae: true, at: time.Now().Add(-tc.age), stamp: stamp, data: []byte("early")})

			tc.since(t, signal)
			got, err := s.Read(t.Context())
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			assert.Equal(t, tc.wantReads, store.reads)

			got, err = s.Read(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "stored", string(got), "the second Read")
			assert.Equal(t, tc.wantReads+1, store.reads)
		})
	}
}

// An early read belongs to one mode, and serves one Store.
func TestTakeEarly(t *testing.T) {
	e := &earlyRead{cae: true}
	var p atomic.Pointer[earlyRead]
	p.Store(e)
	assert.Nil(t, takeEarly(&p, false))
	assert.Same(t, e, takeEarly(&p, true))
	assert.Nil(t, takeEarly(&p, true), "taken once")
	var none atomic.Pointer[earlyRead]
	assert.Nil(t, takeEarly(&none, true))
}
