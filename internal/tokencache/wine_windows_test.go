//go:build wine

package tokencache

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/internal/wine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// TestFilesAreDeletedWithoutFileDispositionEx: a program run under Wine 8
// has no FileDispositionInformationEx, so os.RemoveAll fails there; the
// deletions a cache makes (a signed-out user's record, a crashed writer's
// temporary file, the file a write replaces) must not depend on it.
func TestFilesAreDeletedWithoutFileDispositionEx(t *testing.T) {
	dir := t.TempDir()
	wine.WithoutDeleteFallback(func() {
		sub := filepath.Join(dir, "sub")
		require.NoError(t, os.MkdirAll(sub, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(sub, "f"), nil, 0o600))
		require.ErrorIs(t, os.RemoveAll(sub), windows.ERROR_INVALID_FUNCTION, "this isn't the Wine whose gap the test is about")

		loc := Location{Dir: filepath.Join(dir, ".IdentityService"), Name: "app", OwnDir: true}
		rs := FileRecords(loc)
		require.NoError(t, rs.Save("client", []byte(`{"username":"alice@contoso.com"}`)))
		require.NoError(t, rs.Delete("client"))
		got, err := rs.Load("client")
		require.NoError(t, err)
		assert.Nil(t, got, "the record outlived its deletion")

		stale := filepath.Join(loc.Dir, ".app.nocae.123.tmp")
		require.NoError(t, os.WriteFile(stale, []byte("half a write"), 0o600))
		old := time.Now().Add(-2 * staleTemp)
		require.NoError(t, os.Chtimes(stale, old, old))
		p, err := Encrypted(t.Context(), loc)
		require.NoError(t, err)
		st, err := p.open(false, func(msg string) { t.Error(msg) })
		require.NoError(t, err)
		c := single(t, st)
		_, err = os.Stat(stale)
		assert.ErrorIs(t, err, os.ErrNotExist, "the crashed writer's file is still there")

		m := &fakeMSAL{}
		for _, rt := range []string{"rt-1", "rt-2"} {
			roundTrip(t, c, m, func() { m.signIn("alice", rt, "at") })
		}
		assert.Equal(t, "rt-2", m.secret(sectionRefreshToken, "alice"))
		entries, err := os.ReadDir(loc.Dir)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.ElementsMatch(t, []string{"app.nocae", "app.nocae.lockfile"}, names, "a replaced file or a temporary one was left")
	})
}
