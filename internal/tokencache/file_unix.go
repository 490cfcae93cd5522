//go:build unix

package tokencache

import (
	"fmt"
	"os"
	"syscall"
)

// fileID names the file itself rather than its path: writes replace the
// file, so a new inode means new contents.
func fileID(fi os.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d.%d", uint64(st.Dev), uint64(st.Ino)) //nolint:unconvert // Dev's type differs by OS
	}
	return "-"
}

// renameOver replaces newpath with oldpath atomically.
func renameOver(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// readWhole reads path: a file being replaced can always be opened here.
func readWhole(path string) ([]byte, error) { return os.ReadFile(path) }
