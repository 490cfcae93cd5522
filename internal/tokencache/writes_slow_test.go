package tokencache

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slow is storage whose writes take a second: a loaded gnome-keyring.
type slow struct{ memory }

func (s *slow) Write(ctx context.Context, data []byte) error {
	time.Sleep(time.Second) // the bubble's clock: the store's own pace
	return s.memory.Write(ctx, data)
}

// A program that exits right after getting its token has saved it (its new
// refresh token too) when the store is slow but works. With a grace of 80 ms,
// a process on a loaded machine exited before its write, and the next one
// redeemed a refresh token already redeemed.
func TestASlowWriteIsDoneWhenTheCallReturns(t *testing.T) {
	withGrace(t, defaultWriteGrace)
	synctest.Test(t, func(t *testing.T) {
		st := &slow{}
		c := single(t, st)
		m := &fakeMSAL{}
		roundTrip(t, c, m, func() { m.signIn("alice", "rt-alice-1", "at-alice-1") })
		st.mu.Lock()
		defer st.mu.Unlock()
		assert.Equal(t, 1, st.writes, "written before the call returned")
	})
}

// While storage hangs, only the first call that stores a token waits for it
// (the grace); later ones don't wait at all, until a write ends.
func TestWhileStorageHangsOnlyOneCallWaits(t *testing.T) {
	withGrace(t, defaultWriteGrace)
	synctest.Test(t, func(t *testing.T) {
		st := &stuck{release: make(chan struct{})}
		s := openStore(t, over(st), &warnings{})
		c := s.Mode(false)
		m := &fakeMSAL{}
		ctx := context.Background()
		require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
		m.signIn("alice", "rt-alice-1", "at-alice-1")
		start := time.Now()
		require.NoError(t, c.Export(ctx, m, cache.ExportHints{}))
		assert.Equal(t, writeGrace, time.Since(start), "the first call waits the grace")

		require.NoError(t, c.Replace(ctx, m, cache.ReplaceHints{}))
		m.signIn("bob", "rt-bob-1", "at-bob-1")
		start = time.Now()
		require.NoError(t, c.Export(ctx, m, cache.ExportHints{}))
		assert.Zero(t, time.Since(start), "a later call doesn't wait for storage that hangs")

		// Storage answers again: both accounts are saved, and calls wait
		// for their writes again.
		close(st.release)
		synctest.Wait()
		st.mu.Lock()
		f := &fakeMSAL{}
		require.NoError(t, f.Unmarshal(st.data))
		writes := st.writes
		st.mu.Unlock()
		assert.Equal(t, "rt-bob-1", f.secret(sectionRefreshToken, "bob"))
		roundTrip(t, c, m, func() { m.signIn("carol", "rt-carol-1", "at-carol-1") })
		st.mu.Lock()
		assert.Equal(t, writes+1, st.writes, "the call waited for its write")
		st.mu.Unlock()
	})
}
