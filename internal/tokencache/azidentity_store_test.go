package tokencache

import (
	"context"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// overWithAzidentity is over(st) with theirs as azidentity/cache's store of
// the non-CAE mode.
func overWithAzidentity(st Storage, theirs reader) Cache {
	p := over(st)
	p.azidentity = func(cae bool, _ func(string)) reader {
		if cae {
			return nil
		}
		return theirs
	}
	return p
}

func TestAnEmptyCacheReadsAzidentitysStore(t *testing.T) {
	theirs := &memory{}
	m := &fakeMSAL{}
	m.signIn("alice", "rt-alice-1", "at-alice-1")
	b, err := m.Marshal()
	require.NoError(t, err)
	require.NoError(t, theirs.Write(context.Background(), b))

	ours := &memory{}
	c := openStore(t, overWithAzidentity(ours, theirs), nil).Mode(false)
	got := &fakeMSAL{}
	require.NoError(t, c.Replace(t.Context(), got, cache.ReplaceHints{}))
	assert.Equal(t, "rt-alice-1", got.secret(sectionRefreshToken, "alice"), "a sign-in through azidentity serves")

	// The first write makes the cache this module's own; azidentity's store
	// is never written, and no longer read.
	got.signIn("alice", "rt-alice-2", "at-alice-2")
	require.NoError(t, c.Export(t.Context(), got, cache.ExportHints{}))
	theirsNow, err := theirs.Read(context.Background())
	require.NoError(t, err)
	assert.Equal(t, b, theirsNow)
	require.NoError(t, theirs.Write(context.Background(), []byte("{}")))
	again := &fakeMSAL{}
	require.NoError(t, openStore(t, overWithAzidentity(ours, theirs), nil).Mode(false).Replace(t.Context(), again, cache.ReplaceHints{}))
	assert.Equal(t, "rt-alice-2", again.secret(sectionRefreshToken, "alice"))
}

func TestAzidentitysStoreFailingIsAnEmptyCache(t *testing.T) {
	c := openStore(t, overWithAzidentity(&memory{}, failing{}), nil).Mode(false)
	got := &fakeMSAL{}
	require.NoError(t, c.Replace(t.Context(), got, cache.ReplaceHints{}))
	assert.Empty(t, got.data[sectionRefreshToken])
}

// failing is storage whose every call fails.
type failing struct{}

func (failing) Read(context.Context) ([]byte, error) { return nil, assert.AnError }
func (failing) Write(context.Context, []byte) error  { return assert.AnError }
