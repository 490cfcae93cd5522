package tokencache

import (
	"context"
	"path/filepath"
)

// secretStore is an OS secret store holding one cache's bytes: the Secret
// Service on Linux, the Keychain on macOS.
type secretItem interface {
	// read returns the secret, or nil when there is none.
	read(ctx context.Context) ([]byte, error)
	write(ctx context.Context, data []byte) error
}

// secretStorage keeps a cache in a secret store. Asking a secret store
// whether its secret changed costs a round trip, so a signal file does that
// job, as in Microsoft's other libraries: every write touches it, and its
// stamp moves. Its lock file sits beside it.
type secretStorage struct {
	store  secretItem
	signal string
	lock   fileLock
	ownDir bool // the directory belongs to caches alone (see Location.OwnDir)
}

var (
	_ Storage = (*secretStorage)(nil)
	_ Locker  = (*secretStorage)(nil)
	_ Stamper = (*secretStorage)(nil)
)

// newSecretStorage returns the storage of store, whose signal file is
// signal. Its check method vets the files before use.
func newSecretStorage(store secretItem, signal string, ownDir bool, _ func(string)) *secretStorage {
	return &secretStorage{store: store, signal: signal, lock: fileLock{path: signal + ".lockfile"}, ownDir: ownDir}
}

// check refuses files that another user could have planted or could change
// (see checkDirs and checkExisting). The signal file is where Python's
// plaintext fallback keeps tokens, so it may hold some from an earlier
// unencrypted run: if other users may read it, it is made private.
func (s *secretStorage) check(warn func(string)) error {
	if err := checkDirs(filepath.Dir(s.signal), s.ownDir, warn); err != nil {
		return err
	}
	if err := checkExisting(s.signal, warn); err != nil {
		return err
	}
	return checkExisting(s.lock.path, nil)
}

// Read implements Storage.
func (s *secretStorage) Read(ctx context.Context) ([]byte, error) { return s.store.read(ctx) }

// Write implements Storage.
func (s *secretStorage) Write(ctx context.Context, data []byte) error {
	if err := s.store.write(ctx, data); err != nil {
		return err
	}
	return touch(s.signal)
}

// Lock implements Locker.
func (s *secretStorage) Lock(ctx context.Context) (func(), error) { return s.lock.Lock(ctx) }

// Stamp implements Stamper.
func (s *secretStorage) Stamp(context.Context) (string, error) { return stampOf(s.signal) }
