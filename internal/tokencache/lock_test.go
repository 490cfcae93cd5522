package tokencache

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// helperEnv selects what a re-executed test binary does (see TestMain).
const helperEnv = "TOKENCACHE_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		// Tests read storage right after a call: they wait for its write
		// (writes_test.go tests the grace itself).
		writeGrace = time.Hour
		os.Exit(m.Run())
	case "hold-lock":
		holdLock()
	case "rotate":
		rotate()
	}
}

// holdLock takes the lock named by the environment and waits to be killed.
func holdLock() {
	unlock, err := fileLock{path: os.Getenv("LOCK_PATH")}.Lock(context.Background())
	if err != nil {
		os.Exit(2)
	}
	defer unlock()
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Hour)
}

func TestLockExcludesAndIsNeverDeleted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir", "c.lockfile")
	unlock, err := fileLock{path: path}.Lock(t.Context())
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = fileLock{path: path}.Lock(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	if runtime.GOOS != "windows" { // the locked byte can't be read there
		assert.Contains(t, err.Error(), "held by process "+strconv.Itoa(os.Getpid()))
	}

	unlock()
	_, err = os.Stat(path)
	require.NoError(t, err, "the lock file was deleted")
	unlock2, err := fileLock{path: path}.Lock(t.Context())
	require.NoError(t, err)
	unlock2()
}

func TestLockOfAProcessThatDiedIsRecovered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.lockfile")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), helperEnv+"=hold-lock", "LOCK_PATH="+path)
	out, err := child.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, child.Start())
	buf := make([]byte, 7)
	_, err = io.ReadFull(out, buf)
	require.NoError(t, err)
	require.Equal(t, "locked\n", string(buf))

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = fileLock{path: path}.Lock(ctx)
	require.Error(t, err, "the child holds the lock")

	require.NoError(t, child.Process.Kill())
	_ = child.Wait()
	ctx, cancel = context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	unlock, err := fileLock{path: path}.Lock(ctx)
	require.NoError(t, err, "the dead child's lock wasn't released")
	unlock()
}

func TestLockSurvivesALibraryThatDeletesTheFile(t *testing.T) {
	// Python's msal-extensions and MSAL's Go extensions delete the lock file
	// after use. A waiter that then gets the lock on the deleted file must
	// notice and lock the file at the path instead.
	if runtime.GOOS == "windows" {
		t.Skip("Windows can't delete a file another handle has open")
	}
	path := filepath.Join(t.TempDir(), "c.lockfile")
	other, err := fileLock{path: path}.Lock(t.Context())
	require.NoError(t, err)

	waiting := make(chan struct{})
	once := sync.OnceFunc(func() { close(waiting) })
	hook := func(string) { once() }
	lockWaitHook.Store(&hook)
	t.Cleanup(func() { lockWaitHook.Store(nil) })
	got := make(chan func(), 1)
	go func() {
		unlock, err := fileLock{path: path}.Lock(context.Background())
		if err != nil {
			got <- nil
			return
		}
		got <- unlock
	}()
	<-waiting // the waiter opened the old file and polls it
	require.NoError(t, os.Remove(path))
	other()

	unlock := <-got
	require.NotNil(t, unlock)
	defer unlock()
	// The waiter holds the file now at the path: a third party can't lock it.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = fileLock{path: path}.Lock(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	if runtime.GOOS != "windows" {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(b), strconv.Itoa(os.Getpid())+" "))
	}
}
