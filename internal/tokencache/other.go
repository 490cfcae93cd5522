//go:build !unix && !windows

package tokencache

import (
	"errors"
	"os"
)

func openFile(path string, flag int) (*os.File, error) { return os.OpenFile(path, flag, 0o600) }

func renameOver(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

var errNotSupported = errors.New("file locking is not supported on this platform")

func tryLock(*os.File) (bool, error) { return false, errNotSupported }

func unlockFile(*os.File) {}
