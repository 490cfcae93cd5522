package tokencache

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stuck is storage whose writes block until release is closed (or their
// context ends), like a keyring that stopped answering or waits on an
// unlock prompt nobody sees.
type stuck struct {
	memory
	release chan struct{}
	mu      sync.Mutex // guards ended
	ended   []error    // what each blocked write returned
}

func (s *stuck) Write(ctx context.Context, data []byte) error {
	select {
	case <-s.release:
		return s.memory.Write(ctx, data)
	case <-ctx.Done():
		s.mu.Lock()
		s.ended = append(s.ended, ctx.Err())
		s.mu.Unlock()
		return ctx.Err()
	}
}

// withGrace sets writeGrace for one test.
func withGrace(t *testing.T, d time.Duration) {
	old := writeGrace
	writeGrace = d
	t.Cleanup(func() { writeGrace = old })
}

func TestAHungWriteCostsTheCallerOnlyTheGrace(t *testing.T) {
	withGrace(t, 80*time.Millisecond)
	synctest.Test(t, func(t *testing.T) {
		st := &stuck{release: make(chan struct{})}
		w := &warnings{}
		s := openStore(t, over(st), w)
		c := s.Mode(false)
		m := &fakeMSAL{}
		ctx := context.Background()
		require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
		m.signIn("alice", "rt-alice-1", "at-alice-1")

		start := time.Now()
		require.NoError(t, c.Export(ctx, m, cache.ExportHints{}))
		assert.Equal(t, writeGrace, time.Since(start), "Export waited for the write only for the grace")

		// The token is the process's while storage hangs: another call finds it.
		start = time.Now()
		got := &fakeMSAL{}
		require.NoError(t, c.Replace(ctx, got, cache.ReplaceHints{}))
		assert.Equal(t, "rt-alice-1", got.secret(sectionRefreshToken, "alice"))
		assert.Zero(t, time.Since(start), "a call doesn't wait for the hung write")

		// The write gives up at its bound (an unlock prompt is dismissed
		// then), with one warning, and no goroutine is left.
		time.Sleep(writeBound)
		synctest.Wait()
		st.mu.Lock()
		assert.Equal(t, []error{context.DeadlineExceeded}, st.ended)
		st.mu.Unlock()
		assert.Len(t, w.all(), 1)
		assert.Contains(t, w.all()[0], "can't be saved")
		assert.Empty(t, st.data, "nothing was written")

		// The next change tries again, and storage that answers gets both.
		close(st.release)
		roundTrip(t, c, m, func() { m.signIn("bob", "rt-bob-1", "at-bob-1") })
		synctest.Wait()
		f := &fakeMSAL{}
		require.NoError(t, f.Unmarshal(st.data))
		assert.Equal(t, "rt-alice-1", f.secret(sectionRefreshToken, "alice"))
		assert.Equal(t, "rt-bob-1", f.secret(sectionRefreshToken, "bob"))
	})
}

func TestAHealthyWriteIsDoneWhenTheCallReturns(t *testing.T) {
	// A program that exits right after getting its token has saved it.
	withGrace(t, 80*time.Millisecond)
	st := &memory{}
	c := single(t, st)
	m := &fakeMSAL{}
	roundTrip(t, c, m, func() { m.signIn("alice", "rt-alice-1", "at-alice-1") })
	st.mu.Lock()
	defer st.mu.Unlock()
	assert.Equal(t, 1, st.writes)
}

func TestSignOutWaitsForItsWriteWithinItsContext(t *testing.T) {
	withGrace(t, 80*time.Millisecond)
	synctest.Test(t, func(t *testing.T) {
		st := &stuck{release: make(chan struct{})}
		s := openStore(t, over(st), &warnings{})
		m := &fakeMSAL{}
		ctx := context.Background()
		roundTrip(t, s.Mode(false), m, func() { m.signIn("alice", "rt-alice-1", "at-alice-1") })

		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		start := time.Now()
		err := s.RemoveAccount(ctx, 1, "alice")
		require.ErrorIs(t, err, context.DeadlineExceeded, "storage still holds the account, and the error says so")
		assert.Equal(t, 3*time.Second, time.Since(start))
		close(st.release)
		synctest.Wait()
	})
}
