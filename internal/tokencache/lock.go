package tokencache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// lockTimeout bounds the wait for another process's lock when ctx has no
// deadline: holders keep it for milliseconds, so by then the holder is stuck.
const lockTimeout = 30 * time.Second

// fileLock is a cross-process lock on a lock file, as Microsoft's other
// libraries take it on "<cache file>.lockfile" (flock on Unix, LockFileEx on
// Windows). The OS releases a dead process's lock. The file is never deleted:
// deleting it while another process waits on its inode would let a third
// lock a new file. Some of those libraries delete it; Lock notices.
type fileLock struct {
	path string
	// staleAfter, when not 0, ends the wait for a holder that has held the
	// lock this long (errLockStale), as the file's modification time says.
	staleAfter time.Duration
}

var errLockStale = errors.New("its holder has held it far longer than a refresh takes")

// Lock waits for the lock until ctx ends (or lockTimeout passes, when ctx has
// no deadline) and returns the function that releases it.
func (l fileLock) Lock(ctx context.Context) (unlock func(), err error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lockTimeout)
		defer cancel()
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return nil, fmt.Errorf("can't create the token cache lock %s: %w", l.path, err)
	}
	var f *os.File
	defer func() {
		if err != nil && f != nil {
			f.Close()
		}
	}()
	wait := firstLockWait
	for {
		if f == nil {
			// Never through a link, which noteOwner would write through.
			if f, err = openPrivate(l.path, os.O_RDWR|os.O_CREATE); err != nil {
				return nil, fmt.Errorf("can't open the token cache lock %s: %w", l.path, err)
			}
		}
		locked, err := tryLock(f)
		if err != nil {
			return nil, fmt.Errorf("can't lock the token cache lock %s: %w", l.path, err)
		}
		if locked {
			a, errA := f.Stat()
			b, errB := os.Stat(l.path)
			if errA == nil && errB == nil && os.SameFile(a, b) {
				if notesOwner {
					noteOwner(f)
				}
				held := f
				f = nil
				return func() { unlockFile(held); held.Close() }, nil
			}
			// Another library replaced the file since we opened it.
			unlockFile(f)
			f.Close()
			f = nil
			continue
		}
		if h := lockWaitHook.Load(); h != nil && wait == firstLockWait {
			(*h)(l.path)
		}
		if l.staleAfter > 0 && notesOwner {
			if fi, err := f.Stat(); err == nil && time.Since(fi.ModTime()) > l.staleAfter {
				return nil, fmt.Errorf("the token cache lock %s%s: %w", l.path, owner(l.path), errLockStale)
			}
		}
		t := time.NewTimer(wait + rand.N(wait)) // jitter keeps waiters from polling in step
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the token cache lock %s%s: %w", l.path, owner(l.path), ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, maxLockWait)
	}
}

// A waiter polls from firstLockWait to maxLockWait apart, plus jitter:
// holders keep the lock for milliseconds.
const (
	firstLockWait = 200 * time.Microsecond
	maxLockWait   = 4 * time.Millisecond
)

// lockWaitHook, when set (by tests), is told when a Lock begins to wait.
var lockWaitHook atomic.Pointer[func(path string)]

// ownerWidth is the room a lock file gives its holder's description.
const ownerWidth = 80

// notesOwner says whether the holder writes itself into the lock file, whose
// modification time then says when the lock was taken. Not on Windows: the
// locked byte can't be read by the processes that would want the note.
const notesOwner = runtime.GOOS != "windows"

// noteOwner writes who holds the lock into it, for a waiter's timeout
// message. It overwrites a fixed width rather than truncating: on ext4 a
// truncation to zero flushes the file, which costs milliseconds.
func noteOwner(f *os.File) {
	b := fmt.Appendf(nil, "%d %s", os.Getpid(), filepath.Base(os.Args[0]))
	if len(b) > ownerWidth {
		b = b[:ownerWidth]
	}
	b = append(b, bytes.Repeat([]byte{' '}, ownerWidth-len(b))...)
	_, _ = f.WriteAt(b, 0)
}

// owner describes the lock's holder as it wrote itself into the file ("<pid>
// <program>", as Python's msal-extensions does).
func owner(path string) string {
	b, err := readPrivate(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	s := strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, string(b)))
	if len(s) > ownerWidth {
		s = s[:ownerWidth]
	}
	if s == "" {
		return ""
	}
	return " (held by process " + s + ")"
}
