//go:build linux

package tokencache

import (
	"context"
	"fmt"

	"github.com/azinteractive/azinteractive/internal/kernelkeyring"
)

// sealedStorage keeps one CAE mode's cache in a file sealed with a key that
// a keyring keeps: the kernel keyring, as azidentity/cache does, or the
// Secret Service. The file is handled as a plaintext cache's is, so a
// refresh writes a file, and the keyring is only asked for the key.
type sealedStorage struct {
	*fileStorage
	keys cacheKeys
	// legacy is read while the file is empty: where an earlier version kept
	// the cache, or nil.
	legacy      func(context.Context) ([]byte, error)
	warn        func(string)
	warnedNoKey bool
}

// cacheKeys is the keyring holding one cache file's key.
type cacheKeys interface {
	// find returns the key, or nil when the keyring holds none; kid names
	// the key the file was sealed with, when known.
	find(ctx context.Context, kid string) (sealKey, error)
	// create stores a new key. It is called under the cache's lock, so two
	// cooperating writers never replace each other's key.
	create(ctx context.Context) (sealKey, error)
	// lost says why a file can outlive its key, for a warning.
	lost() string
}

// sealKey seals a cache file as azidentity/cache does (a compact JWE).
type sealKey interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(jwe []byte) ([]byte, error)
	KID() string
}

// Read implements Storage. A file whose key the keyring no longer holds
// reads as empty, as in azidentity/cache, and the next write makes a new
// key; one the key doesn't open is corrupt. Only a keyring that can't be
// searched or read is an error.
func (s *sealedStorage) Read(ctx context.Context) ([]byte, error) {
	b, err := readPrivate(s.path)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 && s.legacy != nil {
		return s.legacy(ctx)
	}
	if len(b) == 0 {
		return nil, nil
	}
	k, err := s.keys.find(ctx, kernelkeyring.KeyID(b))
	if err != nil {
		return nil, fmt.Errorf("can't read the key of the token cache %s: %w", s.path, err)
	}
	if k == nil {
		if !s.warnedNoKey {
			s.warnedNoKey = true
			s.warn(fmt.Sprintf("the token cache %s can't be decrypted because %s; "+
				"it is treated as empty and the next sign-in replaces it", s.path, s.keys.lost()))
		}
		return nil, nil
	}
	out, err := k.Open(b)
	if err != nil {
		return nil, &corruptError{fmt.Errorf("%s (key %s): %w", s.path, k.KID(), err)}
	}
	return out, nil
}

// Write implements Storage; its caller holds the cache's lock.
func (s *sealedStorage) Write(ctx context.Context, data []byte) error {
	k, err := s.keys.find(ctx, "")
	if err == nil && k == nil {
		k, err = s.keys.create(ctx)
	}
	if err != nil {
		return fmt.Errorf("can't get the key of the token cache %s: %w", s.path, err)
	}
	sealed, err := k.Seal(data)
	if err != nil {
		return err
	}
	return replaceFile(s.path, sealed)
}

// newSealedStorage returns the storage of the file path sealed with keys;
// warn (maybe nil) is told once when the file outlived its key.
func newSealedStorage(path string, ownDir bool, keys cacheKeys, legacy func(context.Context) ([]byte, error), warn func(string)) *sealedStorage {
	if warn == nil {
		warn = func(string) {}
	}
	return &sealedStorage{fileStorage: newFileStorage(path, nil, ownDir), keys: keys, legacy: legacy, warn: warn}
}
