//go:build unix

package tokencache

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// tryLock takes an exclusive flock on f without waiting.
func tryLock(f *os.File) (bool, error) {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EWOULDBLOCK), errors.Is(err, unix.EINTR):
		return false, nil
	}
	return false, err
}

func unlockFile(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }

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

// lockNotesOwner: the lock file's modification time says when it was taken.
const lockNotesOwner = true
