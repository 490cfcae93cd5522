package tokencache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Another local user attacks a cache through its files: a link planted at
// a lock file's name makes a sign-in overwrite what it points at, and a
// cache or record file planted in a directory others can write hands the
// victim the attacker's account. So files are opened without following
// links and checked once open, directories are checked from the root down
// when a cache opens, and whatever fails is refused, saying what to fix.

// UnsafeFileError reports a file or directory the token cache refuses to
// use, because another user could have planted it or could change it.
type UnsafeFileError struct {
	// Path is the file or directory.
	Path string
	// Problem says what is wrong with it.
	Problem string
	// Remedy says what to do.
	Remedy string
}

// Error says what is refused, why, and what to do.
func (e *UnsafeFileError) Error() string {
	return fmt.Sprintf("the token cache refuses %s: %s; %s", e.Path, e.Problem, e.Remedy)
}

// checkFile refuses a file (fi from Lstat or an open file's Stat) that
// isn't a regular file of this user's that no one else can write.
func checkFile(path string, fi fs.FileInfo) error {
	mode := fi.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return errLinkRefused(path)
	case !mode.IsRegular():
		return &UnsafeFileError{path, "it is " + kindOf(mode) + ", not a regular file", "remove it, or choose another cache name or directory"}
	}
	if uid, ok := ownerOf(fi); ok && uid != os.Getuid() {
		return &UnsafeFileError{path, fmt.Sprintf("it belongs to another user (uid %d)", uid), "remove it: another user may have planted it"}
	}
	if runtime.GOOS != "windows" && mode.Perm()&0o022 != 0 {
		return &UnsafeFileError{path, fmt.Sprintf("other users can write to it (mode %#o)", mode.Perm()), "remove it: another user may have changed it"}
	}
	return nil
}

func kindOf(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// checkExisting refuses path if it exists and checkFile refuses it. A file
// others may read (Python creates its plaintext cache 0644) is made private
// when warn isn't nil, and warn is told.
func checkExisting(path string, warn func(string)) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := checkFile(path, fi); err != nil {
		return err
	}
	if runtime.GOOS == "windows" || fi.Mode().Perm()&0o077 == 0 || warn == nil {
		return nil
	}
	makePrivate("file", path, "readable by", fi.Mode().Perm(), 0o600, warn)
	return nil
}

// makePrivate sets the mode of a file or directory (kind) that is open
// (mode perm) to other users to private, and tells warn.
func makePrivate(kind, path, open string, perm, private fs.FileMode, warn func(string)) {
	if err := os.Chmod(path, private); err != nil {
		warn(fmt.Sprintf("the token cache %s %s is %s other users (mode %#o) and its mode can't be changed: %v", kind, path, open, perm, err))
		return
	}
	warn(fmt.Sprintf("the token cache %s %s was %s other users (mode %#o); its mode is now %#o", kind, path, open, perm, private))
}

// openPrivate opens path with flag (creating it 0600) without following a
// link, and refuses what checkFile refuses.
func openPrivate(path string, flag int) (*os.File, error) {
	f, err := openNoFollow(path, flag)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkFile(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// readPrivate returns path's bytes, or nil when it doesn't exist, refusing
// what checkFile refuses.
func readPrivate(path string) ([]byte, error) {
	f, err := openPrivate(path, os.O_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func errLinkRefused(path string) error {
	return &UnsafeFileError{path, "it is a symbolic link", "remove it (a link there could send the cache's writes to another file)"}
}

// checkDirs checks dir and every directory above it, as written and with
// links resolved: each must be this user's or root's and writable by no one
// else, unless sticky (as /tmp is). Missing ones are skipped: the cache
// creates them, private. When own is set (~/.IdentityService), a mode that
// lets others in is tightened, and warn told, rather than refused.
func checkDirs(dir string, own bool, warn func(string)) error {
	if runtime.GOOS == "windows" {
		return nil // ACLs, not modes, protect a Windows profile
	}
	dir = filepath.Clean(dir)
	if own {
		tightenDir(dir, warn)
	}
	if err := checkChain(dir, os.Lstat); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(deepestExisting(dir))
	if err != nil {
		return nil // checked as written; nothing more to resolve
	}
	return checkChain(real, os.Stat)
}

// checkChain checks each existing directory from / down to dir.
func checkChain(dir string, stat func(string) (fs.FileInfo, error)) error {
	var chain []string
	for p := dir; ; p = filepath.Dir(p) {
		chain = append(chain, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		fi, err := stat(chain[i])
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := checkDir(chain[i], fi); err != nil {
			return err
		}
	}
	return nil
}

// checkDir refuses a directory (or a link to one) another user controls.
func checkDir(path string, fi fs.FileInfo) error {
	if uid, ok := ownerOf(fi); ok && uid != os.Getuid() && uid != 0 {
		return &UnsafeFileError{path, fmt.Sprintf("it belongs to another user (uid %d)", uid), "choose a directory of your own for the cache"}
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil // a link's own mode means nothing; its target is checked resolved
	}
	if !fi.IsDir() {
		return &UnsafeFileError{path, "it is not a directory", "choose another directory for the cache"}
	}
	// Mode().Perm() drops the sticky bit: test it on the whole mode.
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return &UnsafeFileError{path, fmt.Sprintf("other users can write to it (mode %#o), and it lacks the sticky bit", fi.Mode().Perm()),
			"remove their write permission (chmod go-w) or choose a directory of your own for the cache"}
	}
	return nil
}

// deepestExisting returns dir, or its deepest ancestor that exists.
func deepestExisting(dir string) string {
	for {
		if _, err := os.Lstat(dir); err == nil || filepath.Dir(dir) == dir {
			return dir
		}
		dir = filepath.Dir(dir)
	}
}

// tightenDir makes a cache's own directory private.
func tightenDir(dir string, warn func(string)) {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	if uid, ok := ownerOf(fi); ok && uid != os.Getuid() {
		return // not ours to change; checkDir says so
	}
	makePrivate("directory", dir, "open to", fi.Mode().Perm(), 0o700, warn)
}
