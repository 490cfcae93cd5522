//go:build windows

package tokencache

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// Replacing a file and reading it race on Windows, where a handle without
// FILE_SHARE_DELETE blocks what needs DELETE access and the reverse: both
// sides retry for far longer than the other holds the file.
const (
	transientTries = 50
	transientWait  = 20 * time.Millisecond
)

// renameOver replaces newpath with oldpath, retrying while a reader (Go's
// or Python's) has newpath open.
func renameOver(oldpath, newpath string) error {
	var err error
	for range transientTries {
		if err = os.Rename(oldpath, newpath); err == nil {
			return nil
		}
		if !errors.Is(err, windows.ERROR_ACCESS_DENIED) && !errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
			return err
		}
		time.Sleep(transientWait)
	}
	return err
}

// openFile opens path, retrying on a sharing violation: MoveFileEx closes
// its DELETE handle just after the rename, and until then os.OpenFile fails.
func openFile(path string, flag int) (*os.File, error) {
	var f *os.File
	var err error
	for range transientTries {
		if f, err = os.OpenFile(path, flag, 0o600); !errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
			return f, err
		}
		time.Sleep(transientWait)
	}
	return f, err
}
