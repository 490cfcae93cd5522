//go:build !unix

package tokencache

import (
	"io/fs"
	"os"
	"time"
)

// openNoFollow opens path, refusing a symbolic link (or, on Windows, any
// reparse point Lstat reports as one) at it. Without O_NOFOLLOW the check
// and the open are two steps; on Windows a user profile's ACLs keep other
// users from planting links in between.
func openNoFollow(path string, flag int) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, errSymlink
	}
	return os.OpenFile(path, flag, 0o600)
}

type symlinkError struct{}

func (symlinkError) Error() string { return "a symbolic link" }

var errSymlink error = symlinkError{}

func isSymlinkErr(err error) bool { return err == errSymlink }

// ownerOf reports that owners aren't known here.
func ownerOf(fs.FileInfo) (int, bool) { return 0, false }

// setMtime sets an open file's modification time.
func setMtime(f *os.File, t time.Time) error { return os.Chtimes(f.Name(), time.Time{}, t) }
