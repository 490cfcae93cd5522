package tokencache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
// other processes that the secret changed. The file is opened like any
// cache file (see openPrivate), never through a link.
func touch(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := openPrivate(path, os.O_WRONLY|os.O_CREATE)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	prev, now := fi.ModTime(), time.Now()
	if err := setMtime(f, now); err != nil {
		return err
	}
	// Filesystems keep times at different resolutions (1 ns to 2 s): step
	// until the stored time moves past the previous one.
	for _, step := range []time.Duration{0, time.Nanosecond, time.Microsecond, time.Millisecond, time.Second, 2 * time.Second} {
		t := now
		if step > 0 {
			t = prev.Add(step)
			if err := setMtime(f, t); err != nil {
				return err
			}
		}
		if fi, err := f.Stat(); err == nil && fi.ModTime().After(prev) {
			return nil
		}
	}
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
// missing file has a stamp too, so that "still missing" needs no read. A
// link isn't followed: the read that its new stamp causes refuses it.
func stampOf(path string) (string, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "missing", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s:%d:%d", fileID(fi), fi.Size(), fi.ModTime().UnixNano()), nil
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
