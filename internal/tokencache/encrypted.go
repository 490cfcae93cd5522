package tokencache

import (
	"bytes"
	"context"
	"fmt"
)

// UnavailableError reports that the platform's encrypted storage can't be
// used here: what is missing, and what would provide it.
type UnavailableError struct {
	// Store names the storage, such as "Secret Service".
	Store string
	// Remedy tells a user how to make Store available, or is empty.
	Remedy string
	// Err is what's missing or failing.
	Err error
}

// Error says which storage is unavailable and why.
func (e *UnavailableError) Error() string {
	return fmt.Sprintf("encrypted token storage (%s) is unavailable: %v", e.Store, e.Err)
}

// Unwrap returns Err.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Encrypted returns a Cache that keeps the caches of loc in the platform's
// encrypted storage, after checking (bounded by ctx) that the storage works
// here. Its error is an *UnavailableError.
//
// Each platform's openEncrypted makes that check and returns the opener of
// a CAE mode's storage.
func Encrypted(ctx context.Context, loc Location) (Cache, error) {
	open, err := openEncrypted(ctx, loc)
	if err != nil {
		ue := &UnavailableError{Store: encryptedStore, Remedy: encryptedRemedy, Err: err}
		if ctx.Err() != nil {
			return Cache{}, ue
		}
		return fallbackEncrypted(loc, ue)
	}
	return Cache{
		desc:       encryptedStore,
		open:       open,
		redeemLock: loc.redeemLock(),
		azidentity: func(cae bool, warn func(string)) reader {
			if !loc.OwnDir {
				return nil // an application's own directory is no place for azidentity's cache
			}
			st := openAzidentity(loc, cae, warn)
			if c, ok := st.(checker); ok && c.check(func(string) {}) != nil {
				return nil // not safe to read
			}
			return st
		},
	}, nil
}

// Plaintext returns a Cache that keeps the caches of loc unencrypted, in
// files only their owner may read: the layout of Python's azure-identity
// with allow_unencrypted_storage, so the two share it.
func Plaintext(loc Location) Cache {
	return Cache{
		desc: "unencrypted files in " + loc.Dir,
		open: func(cae bool, _ func(string)) (Storage, error) {
			return newFileStorage(loc.Path(cae), nil, loc.OwnDir), nil
		},
		redeemLock: loc.redeemLock(),
	}
}

// HasPlaintext reports whether loc holds a plaintext cache (see Plaintext):
// a file of a CAE mode that holds JSON, not another storage's empty signal
// file or sealed data.
func HasPlaintext(loc Location) bool {
	for _, cae := range []bool{false, true} {
		b, err := readPrivate(loc.Path(cae))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
			return true
		}
	}
	return false
}

// checker is storage that vets its files before use (Open calls it).
type checker interface {
	check(warn func(string)) error
}
