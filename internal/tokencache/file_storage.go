package tokencache

import (
	"context"
	"path/filepath"
)

// fileStorage keeps a cache in a file, in plaintext or sealed by a codec
// (DPAPI on Windows). Writes replace the file whole (see replaceFile), so
// reads need no lock; read-modify-writes hold the lock file beside it.
type fileStorage struct {
	path   string
	codec  codec // nil: plaintext
	lock   fileLock
	ownDir bool // the directory belongs to caches alone (see Location.OwnDir)
}

// codec seals and opens a cache's bytes for storage.
type codec interface {
	seal([]byte) ([]byte, error)
	open([]byte) ([]byte, error)
}

var (
	_ Storage = (*fileStorage)(nil)
	_ Locker  = (*fileStorage)(nil)
	_ Stamper = (*fileStorage)(nil)
)

// newFileStorage returns the storage at path. Its check method vets the
// files before use.
func newFileStorage(path string, c codec, ownDir bool, _ func(string)) *fileStorage {
	return &fileStorage{path: path, codec: c, lock: fileLock{path: path + ".lockfile"}, ownDir: ownDir}
}

// check refuses files that another user could have planted or could change
// (see checkDirs and checkExisting), makes the cache file private if other
// users may read it (warning about it), and deletes temporary files that
// crashed writers left.
func (s *fileStorage) check(warn func(string)) error {
	if err := checkDirs(filepath.Dir(s.path), s.ownDir, warn); err != nil {
		return err
	}
	if err := checkExisting(s.path, warn); err != nil {
		return err
	}
	if err := checkExisting(s.lock.path, nil); err != nil {
		return err
	}
	removeStaleTemps(s.path)
	return nil
}

// Read implements Storage. Bytes the codec can't open (a file written by
// another user, or truncated) are reported as corrupt: the cache then treats
// them as empty and overwrites them.
func (s *fileStorage) Read(context.Context) ([]byte, error) {
	b, err := readPrivate(s.path)
	if err != nil || len(b) == 0 || s.codec == nil {
		return b, err
	}
	out, err := s.codec.open(b)
	if err != nil {
		return nil, corrupt(err)
	}
	return out, nil
}

// Write implements Storage.
func (s *fileStorage) Write(_ context.Context, data []byte) error {
	if s.codec != nil {
		var err error
		if data, err = s.codec.seal(data); err != nil {
			return err
		}
	}
	return replaceFile(s.path, data)
}

// Lock implements Locker.
func (s *fileStorage) Lock(ctx context.Context) (func(), error) { return s.lock.Lock(ctx) }

// Stamp implements Stamper.
func (s *fileStorage) Stamp(context.Context) (string, error) { return stampOf(s.path) }
