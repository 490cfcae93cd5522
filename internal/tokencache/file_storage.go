package tokencache

import (
	"context"
	"path/filepath"
)

// fileStorage keeps a cache in a file, in plaintext or sealed by a codec
// (DPAPI on Windows). Writes replace the file whole (see replaceFile), so
// reads need no lock; read-modify-writes hold the lock file beside it.
type fileStorage struct {
	path  string
	codec codec // nil: plaintext
	lock  fileLock
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

// newFileStorage returns the storage at path, first making the file private
// if other users may read it (or warning when it can't), and deleting
// temporary files that crashed writers left.
func newFileStorage(path string, c codec, ownDir bool, warn func(string)) *fileStorage {
	checkDir(filepath.Dir(path), ownDir, warn)
	tightenFile(path, warn)
	removeStaleTemps(path)
	return &fileStorage{path: path, codec: c, lock: fileLock{path + ".lockfile"}}
}

// Read implements Storage. Bytes the codec can't open (a file written by
// another user, or truncated) are reported as corrupt: the cache then treats
// them as empty and overwrites them.
func (s *fileStorage) Read(context.Context) ([]byte, error) {
	b, err := readFile(s.path)
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
