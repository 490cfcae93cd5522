package tokencache

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memorySecrets is a secret store in memory, shared like the real one.
type memorySecrets struct {
	mu    sync.Mutex // guards data and reads
	data  []byte
	reads int
}

func (m *memorySecrets) Read(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	return m.data, nil
}

func (m *memorySecrets) write(_ context.Context, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = data
	return nil
}

func (m *memorySecrets) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads
}

func TestSecretStorageIsReadOnlyWhenTheSignalMoves(t *testing.T) {
	store := &memorySecrets{}
	signal := filepath.Join(t.TempDir(), "app.nocae")
	open := func() cache.ExportReplace {
		return openStore(t, over(newSecretStorage(store, signal, false)), nil).Mode(false)
	}
	c, other := open(), open()
	m, om := &fakeMSAL{}, &fakeMSAL{}
	ctx := t.Context()

	for range 3 {
		require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
	}
	assert.Equal(t, 1, store.count())

	m.signIn("alice", "rt-1", "at-1")
	require.NoError(t, c.Export(ctx, m, cache.ExportHints{}))
	reads := store.count()
	require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
	assert.Equal(t, reads, store.count(), "our own write was read back")

	// Two writes by another process in quick succession: the signal file's
	// time moves each time, so each is seen.
	for _, rt := range []string{"rt-2", "rt-3"} {
		roundTrip(t, other, om, func() { om.signIn("alice", rt, "at-1") })
		require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
		assert.Equal(t, rt, m.secret(sectionRefreshToken, "alice"))
	}
}
