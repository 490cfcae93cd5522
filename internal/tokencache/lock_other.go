//go:build !unix && !windows

package tokencache

import (
	"errors"
	"os"
)

var errNotSupported = errors.New("file locking is not supported on this platform")

func tryLock(*os.File) (bool, error) { return false, errNotSupported }

func unlockFile(*os.File) {}

func noteOwner(*os.File) {}

// lockNotesOwner: the lock file's modification time says when it was taken.
const lockNotesOwner = false
