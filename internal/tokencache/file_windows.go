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

// renameOver replaces newpath with oldpath. Windows refuses while another
// process has newpath open without FILE_SHARE_DELETE (as Go and Python
// readers do, briefly), so it retries for a moment.
func renameOver(oldpath, newpath string) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = os.Rename(oldpath, newpath); err == nil {
			return nil
		}
		if !errors.Is(err, windows.ERROR_ACCESS_DENIED) && !errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}
