package tokencache

import (
	"context"
	"path/filepath"
)

// fileStorage keeps a cache in a file, in plaintext or sealed by a codec
// (DPAPI), or in a secret store's item. Asking a secret store whether it
// changed costs a round trip, so the file then only signals: every write
// touches it, and its stamp moves, as in Microsoft's other libraries. Writes
// replace the file whole (replaceFile), so reads need no lock;
// read-modify-writes hold the lock file beside it.
type fileStorage struct {
	path   string
	codec  codec      // nil: plaintext
	item   secretItem // when set, holds the data
	lock   fileLock
	ownDir bool // the directory belongs to caches alone (see Location.OwnDir)
}

// codec seals and opens a cache's bytes for storage.
type codec interface {
	seal([]byte) ([]byte, error)
	open([]byte) ([]byte, error)
}

// secretItem is the item of an OS secret store holding one cache's bytes:
// the Keychain on macOS.
type secretItem interface {
	reader // nil when there is no secret
	write(ctx context.Context, data []byte) error
}

// newFileStorage returns the storage at path; check vets its files.
func newFileStorage(path string, c codec, ownDir bool) *fileStorage {
	return &fileStorage{path: path, codec: c, lock: fileLock{path: path + ".lockfile"}, ownDir: ownDir}
}

// newSecretStorage returns the storage of item, whose signal file is signal.
func newSecretStorage(item secretItem, signal string, ownDir bool) *fileStorage {
	s := newFileStorage(signal, nil, ownDir)
	s.item = item
	return s
}

// check refuses files that another user could have planted or could change
// (see checkDirs and checkExisting), makes the cache file private if other
// users may read it (a signal file is where Python's plaintext fallback
// keeps tokens), and deletes temporary files that crashed writers left.
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
	if s.item == nil {
		removeStaleTemps(s.path)
	}
	return nil
}

// Read implements Storage. Bytes the codec can't open (another user's, or
// truncated) are corrupt: the cache treats them as empty and overwrites them.
func (s *fileStorage) Read(ctx context.Context) ([]byte, error) {
	if s.item != nil {
		return s.item.Read(ctx)
	}
	b, err := readPrivate(s.path)
	if err != nil || len(b) == 0 || s.codec == nil {
		return b, err
	}
	out, err := s.codec.open(b)
	if err != nil {
		return nil, &corruptError{err}
	}
	return out, nil
}

// Write implements Storage.
func (s *fileStorage) Write(ctx context.Context, data []byte) error {
	if s.item != nil {
		if err := s.item.write(ctx, data); err != nil {
			return err
		}
		return touch(s.path)
	}
	if s.codec != nil {
		var err error
		if data, err = s.codec.seal(data); err != nil {
			return err
		}
	}
	return replaceFile(s.path, data)
}

// Lock implements Storage.
func (s *fileStorage) Lock(ctx context.Context) (func(), error) { return s.lock.Lock(ctx) }

// Stamp implements Storage.
func (s *fileStorage) Stamp(context.Context) (string, error) { return stampOf(s.path) }
