package tokencache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// replaceFile writes data to path through a temporary file and a rename, so
// that a reader (in any process) sees either the old bytes or the new ones,
// whole. The new file is private to its owner (os.CreateTemp makes it 0600)
// and its modification time is later than the old file's, so that stamps
// (see fileStamp) tell every write apart, even two within one clock tick.
func replaceFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	// No fsync: losing the last write in a crash costs a sign-in at most, and
	// a torn file reads as an empty cache. Rename-over-existing is ordered
	// after the data on the common Linux filesystems anyway.
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if old, err := os.Stat(path); err == nil {
		advanceMtime(tmp, old.ModTime())
	}
	return renameOver(tmp, path)
}

// touch creates path if it's missing and moves its modification time past
// both now and its previous value: how a secret store's signal file tells
// other processes that the secret changed.
func touch(path string) error {
	var prev time.Time
	switch fi, err := os.Stat(path); {
	case err == nil:
		prev = fi.ModTime()
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		f.Close()
	default:
		return err
	}
	if err := os.Chtimes(path, time.Time{}, time.Now()); err != nil {
		return err
	}
	advanceMtime(path, prev)
	return nil
}

// advanceMtime makes path's modification time later than prev. Filesystems
// keep times at different resolutions (1 ns to 2 s), so it tries growing
// steps until the stored time moves. It's best effort: a file's size and
// inode still tell most writes apart.
func advanceMtime(path string, prev time.Time) {
	later := func() bool {
		fi, err := os.Stat(path)
		return err == nil && fi.ModTime().After(prev)
	}
	if later() {
		return
	}
	for _, step := range []time.Duration{time.Nanosecond, time.Microsecond, time.Millisecond, time.Second, 2 * time.Second} {
		t := prev.Add(step)
		if os.Chtimes(path, time.Time{}, t) != nil {
			return
		}
		if later() {
			return
		}
	}
}

// stampOf identifies a version of a file: its identity (device and inode
// where the OS has them), size and modification time in nanoseconds. A
// missing file has a stamp too, so that "still missing" needs no read.
func stampOf(path string) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "missing", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s:%d:%d", fileID(fi), fi.Size(), fi.ModTime().UnixNano()), nil
}

// readFile returns path's bytes, or nil when it doesn't exist.
func readFile(path string) ([]byte, error) {
	b, err := readWhole(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// tightenFile makes an existing path private to its owner when other users
// may read it, as files written by Python's plaintext cache are (it creates
// them 0644 under the usual umask).
func tightenFile(path string, warn func(string)) {
	if runtime.GOOS == "windows" {
		return // modes there are only a read-only bit; ACLs protect the profile
	}
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	if err := os.Chmod(path, 0o600); err != nil {
		warn(fmt.Sprintf("the token cache file %s is readable by other users (mode %#o) and its mode can't be changed: %v", path, fi.Mode().Perm(), err))
		return
	}
	warn(fmt.Sprintf("the token cache file %s was readable by other users (mode %#o); its mode is now 0600", path, fi.Mode().Perm()))
}

// checkDir reports, and when the directory belongs to caches alone tightens,
// a cache directory that other users may enter or write.
func checkDir(dir string, own bool, warn func(string)) {
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return
	}
	perm := fi.Mode().Perm()
	switch {
	case perm&0o077 == 0:
	case own:
		if err := os.Chmod(dir, 0o700); err != nil {
			warn(fmt.Sprintf("the token cache directory %s is open to other users (mode %#o) and its mode can't be changed: %v", dir, perm, err))
			return
		}
		warn(fmt.Sprintf("the token cache directory %s was open to other users (mode %#o); its mode is now 0700", dir, perm))
	case perm&0o022 != 0 && perm&os.ModeSticky == 0:
		// Not ours to change: the application chose it. Others could
		// replace the cache files, planting tokens or records.
		warn(fmt.Sprintf("the token cache directory %s is writable by other users (mode %#o)", dir, perm))
	}
}

// staleTemp is how old a temporary file of replaceFile must be before it is
// taken for the leftover of a writer that died between write and rename; a
// live writer renames its file within milliseconds.
const staleTemp = time.Minute

// removeStaleTemps deletes what writers of path that died left behind.
func removeStaleTemps(path string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(m)
		}
	}
}
