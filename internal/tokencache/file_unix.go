//go:build unix

package tokencache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// openNoFollow opens path without following a final symbolic link (ELOOP
// then), and without blocking on a named pipe.
func openNoFollow(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.ELOOP) {
		return nil, errLinkRefused(path)
	}
	return f, err
}

func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

func setMtime(f *os.File, t time.Time) error {
	tv := unix.NsecToTimeval(t.UnixNano())
	return unix.Futimes(int(f.Fd()), []unix.Timeval{tv, tv})
}

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
