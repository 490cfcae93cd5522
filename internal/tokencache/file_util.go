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
// that readers see the old bytes or the new ones, whole. The new file is
// private (os.CreateTemp makes it 0600), and its modification time is later
// than the old file's, so that stamps tell every write apart.
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
	// No fsync: losing the last write in a crash costs a sign-in at most,
	// and a torn file reads as an empty cache.
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if old, err := os.Stat(path); err == nil {
		_ = advanceMtime(old.ModTime(), func(t time.Time) error { return os.Chtimes(tmp, time.Time{}, t) },
			func() (fs.FileInfo, error) { return os.Stat(tmp) })
	}
	return renameOver(tmp, path)
}

// touch creates path if it's missing and moves its modification time past
// now and its previous value: a secret store's signal that the secret
// changed. It is opened like any cache file, never through a link.
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
	if err := setMtime(f, time.Now()); err != nil {
		return err
	}
	return advanceMtime(fi.ModTime(), func(t time.Time) error { return setMtime(f, t) }, f.Stat)
}

// advanceMtime makes a file's modification time later than prev, trying
// growing steps: filesystems keep times at resolutions from 1 ns to 2 s.
func advanceMtime(prev time.Time, set func(time.Time) error, stat func() (fs.FileInfo, error)) error {
	for _, step := range []time.Duration{0, time.Nanosecond, time.Microsecond, time.Millisecond, time.Second, 2 * time.Second} {
		if step > 0 {
			if err := set(prev.Add(step)); err != nil {
				return err
			}
		}
		if fi, err := stat(); err == nil && fi.ModTime().After(prev) {
			return nil
		}
	}
	return nil
}

// stampOf identifies a version of a file: its identity (device and inode
// where the OS has them), size and modification time. A missing file has a
// stamp too, so that "still missing" needs no read. A link isn't followed:
// the read its new stamp causes refuses it.
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

// staleTemp is the age at which a temporary file of replaceFile is a dead
// writer's: a live one renames it within milliseconds.
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
