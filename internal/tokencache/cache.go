package tokencache

import (
	"context"
	"errors"
)

// Cache says where a credential keeps its tokens; the zero value keeps them
// in memory. It is the root package's public Cache, so its only methods are
// String and IsZero, and the rest is reached through [Open], [WithWarning],
// [WithRecords] and [RecordsOf].
type Cache struct {
	// open returns the storage of one CAE mode; warn reports problems that
	// don't stop it from working, such as a file mode it had to tighten.
	open       func(cae bool, warn func(string)) (Storage, error)
	redeemLock string // the lock file of redemptions across processes; "" if unshared
	desc       string // names the storage in messages, such as "Secret Service"
	warning    string // logged at every Open: explains a choice such as a fallback
	records    RecordStore
	// azidentity returns azidentity/cache's store of the same name, or nil:
	// it is read while ours is empty, so a user switching keeps their sign-in.
	azidentity func(cae bool, warn func(string)) reader
	fallback   bool // the platform's second choice of encrypted storage (see fallbackEncrypted)
}

// IsFallback reports whether c is the platform's second choice of encrypted
// storage, used because its first can't be.
func IsFallback(c Cache) bool { return c.fallback }

// IsZero reports whether c keeps tokens in memory.
func (c Cache) IsZero() bool { return c.open == nil }

// String describes c without secrets.
func (c Cache) String() string {
	if c.open == nil {
		return "in-memory token cache"
	}
	return "persistent token cache (" + c.desc + ")"
}

// WithWarning returns c logging msg whenever a credential opens it.
func WithWarning(c Cache, msg string) Cache {
	c.warning = msg
	return c
}

// RecordStore keeps a credential's AuthenticationRecord (as JSON) beside its
// tokens, so that a new process with the same options signs in silently.
// Keys are client IDs: one record per application.
type RecordStore interface {
	Load(key string) ([]byte, error) // nil, nil when there is none
	Save(key string, record []byte) error
	Delete(key string) error
}

// WithRecords returns c remembering records in rs.
func WithRecords(c Cache, rs RecordStore) Cache {
	c.records = rs
	return c
}

// RecordsOf returns where c remembers records, or nil.
func RecordsOf(c Cache) RecordStore { return c.records }

// Storage keeps the bytes of one CAE mode's cache. Implementations need not
// be safe for concurrent use: a Store serializes its calls.
type Storage interface {
	reader
	// Write replaces the stored bytes.
	Write(ctx context.Context, data []byte) error
	// Lock is held across each read-modify-write, so that writers in other
	// processes never lose each other's updates.
	Lock(ctx context.Context) (unlock func(), err error)
	// Stamp tells cheaply whether storage changed since it was last read
	// (a file's size and modification time, say); "" is unknown.
	Stamp(ctx context.Context) (string, error)
}

// reader reads a cache's bytes; nil or empty means it is empty.
type reader interface {
	Read(ctx context.Context) ([]byte, error)
}

// corruptError marks stored bytes that can't be decoded (undecryptable,
// truncated). Retrying won't help, so the cache treats them as empty, warns,
// and overwrites them at the next sign-in.
type corruptError struct{ err error }

func (e *corruptError) Error() string {
	return "the stored token cache can't be decoded: " + e.err.Error()
}

func (e *corruptError) Unwrap() error { return e.err }

func isCorrupt(err error) bool {
	var c *corruptError
	return errors.As(err, &c)
}
