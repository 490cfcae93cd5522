package tokencache

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
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

// Encrypted returns a Persistence that keeps the caches of loc in the
// platform's encrypted storage, after checking (bounded by ctx) that the
// storage works here. Its error is an *UnavailableError.
func Encrypted(ctx context.Context, loc Location) (Persistence, error) {
	early, err := probeEncrypted(ctx, loc)
	if err != nil {
		return Persistence{}, &UnavailableError{Store: encryptedStore, Remedy: encryptedRemedy, Err: err}
	}
	var unused atomic.Pointer[earlyRead]
	unused.Store(early)
	return Persistence{
		desc: encryptedStore,
		open: checked(func(cae bool, warn func(string)) (Storage, error) {
			return openEncrypted(loc, cae, takeEarly(&unused, cae), warn)
		}),
		redeemLock: loc.redeemLock(),
	}, nil
}

// Plaintext returns a Persistence that keeps the caches of loc unencrypted,
// in files only their owner may read: the layout of Python's azure-identity
// with allow_unencrypted_storage, so the two share it.
func Plaintext(loc Location) Persistence {
	return Persistence{
		desc: "unencrypted files in " + loc.Dir,
		open: checked(func(cae bool, warn func(string)) (Storage, error) {
			return newFileStorage(loc.Path(cae), nil, loc.OwnDir, warn), nil
		}),
		redeemLock: loc.redeemLock(),
	}
}

// checker is storage that vets its files before use.
type checker interface {
	check(warn func(string)) error
}

// checked returns open, whose storage is checked before use.
func checked(open func(cae bool, warn func(string)) (Storage, error)) func(bool, func(string)) (Storage, error) {
	return func(cae bool, warn func(string)) (Storage, error) {
		s, err := open(cae, warn)
		if err != nil {
			return nil, err
		}
		if c, ok := s.(checker); ok {
			if err := c.check(warn); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
}

// earlyRead is one mode's cache as the check of its storage read it, over
// the connection it had open anyway: the bytes, and the stamp of the
// storage's signal file taken before reading them. It serves the first Read
// of the first Store opened on it if the stamp hasn't moved by then and the
// check was moments ago, which makes it a load made at the time of the
// check: a change written since moved the stamp, and is read as usual.
type earlyRead struct {
	cae   bool
	at    time.Time // when it was read
	stamp string
	data  []byte
}

// earlyReadFor is how long after the check an early read may serve. The
// stamp covers every write that touched the signal file; the bound keeps
// short the time in which a write that didn't (its writer died between
// writing the item and touching the file) goes unseen, as it does for as
// long as a process that loaded the cache before it runs.
const earlyReadFor = 5 * time.Second

// serves reports whether e may serve a load whose signal file's stamp is
// stamp.
func (e *earlyRead) serves(stamp string) bool {
	return stamp == e.stamp && time.Since(e.at) < earlyReadFor
}

// takeEarly returns the early read in p if it holds mode cae, and forgets
// it: it serves one Store.
func takeEarly(p *atomic.Pointer[earlyRead], cae bool) *earlyRead {
	e := p.Load()
	if e == nil || e.cae != cae || !p.CompareAndSwap(e, nil) {
		return nil
	}
	return e
}
