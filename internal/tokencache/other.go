//go:build !unix && !windows

package tokencache

import (
	"errors"
	"os"
)

func fileID(os.FileInfo) string { return "-" }

func renameOver(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func readWhole(path string) ([]byte, error) { return os.ReadFile(path) }

var errNotSupported = errors.New("file locking is not supported on this platform")

func tryLock(*os.File) (bool, error) { return false, errNotSupported }

func unlockFile(*os.File) {}

func noteOwner(*os.File) {}

const lockNotesOwner = false
