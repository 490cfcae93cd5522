//go:build windows

package tokencache

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// fileID is empty on Windows: os.FileInfo carries no file index there
// without another open, and size plus the 100 ns modification time, which
// replaceFile always advances, tell writes apart.
func fileID(os.FileInfo) string { return "-" }

// Replacing a file and reading it race on Windows, where an open handle
// without FILE_SHARE_DELETE blocks what needs DELETE access and the reverse;
// both sides retry for up to transientTries*transientWait, far longer than
// the other side holds the file (one read or one rename).
const (
	transientTries = 50
	transientWait  = 20 * time.Millisecond
)

// renameOver replaces newpath with oldpath. Windows refuses while another
// process has newpath open without FILE_SHARE_DELETE (as Go and Python
// readers do, briefly), so it retries for a moment.
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

// readWhole reads path, retrying for a moment while it can't be opened for a
// sharing violation: MoveFileEx renames through a handle with DELETE access
// that it closes just after the rename, and until then the file, now at
// newpath, can't be opened by a reader that doesn't share delete (os.Open
// doesn't). Eight processes rotating tokens hit this window under Wine.
func readWhole(path string) ([]byte, error) {
	var b []byte
	var err error
	for range transientTries {
		if b, err = os.ReadFile(path); !errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
			return b, err
		}
		time.Sleep(transientWait)
	}
	return b, err
}
