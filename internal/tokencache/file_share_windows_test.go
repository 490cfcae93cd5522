package tokencache

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// TestReadWaitsOutAReplacersHandle: for a moment after a rename, the renamer
// holds the file with DELETE access, and os.Open, which doesn't share
// delete, fails with a sharing violation. A read then must wait, not report
// an error that makes MSAL's call fail.
func TestReadWaitsOutAReplacersHandle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.nocae")
	require.NoError(t, replaceFile(path, []byte("tokens")))
	p, err := windows.UTF16PtrFromString(path)
	require.NoError(t, err)
	h, err := windows.CreateFile(p, windows.DELETE|windows.SYNCHRONIZE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil, windows.OPEN_EXISTING, 0, 0)
	require.NoError(t, err)
	_, err = os.ReadFile(path)
	require.ErrorIs(t, err, windows.ERROR_SHARING_VIOLATION, "the race this test stands for")

	released := make(chan struct{})
	go func() {
		time.Sleep(100 * time.Millisecond)
		windows.CloseHandle(h)
		close(released)
	}()
	b, err := readPrivate(path)
	<-released
	require.NoError(t, err)
	assert.Equal(t, "tokens", string(b))
}
