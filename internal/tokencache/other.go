//go:build !unix && !windows

package tokencache

import (
	"errors"
	"os"
)

func openFile(path string, flag int) (*os.File, error) { return os.OpenFile(path, flag, 0o600) }

func renameOver(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func tryLock(*os.File) (bool, error) {
	return false, errors.New("file locking is not supported on this platform")
}

func unlockFile(*os.File) {}
