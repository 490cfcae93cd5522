//go:build !unix

package tokencache

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// openNoFollow opens path, refusing a symbolic link at it. Without
// O_NOFOLLOW that takes two steps; a Windows profile's ACLs keep other users
// from planting a link in between.
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

// readPrivate returns path's bytes, or nil when it doesn't exist, refusing
// what checkFile refuses (in two steps, see openNoFollow).
func readPrivate(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := checkFile(path, fi); err != nil {
		return nil, err
	}
	b, err := readWhole(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
