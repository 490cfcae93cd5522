package tokencache

import "context"

// Storage is where a Cache keeps its bytes. Implementations need not be safe
// for concurrent use: a Cache serializes its calls.
type Storage interface {
	// Read returns the stored bytes; nil or empty means the store is empty.
	Read(ctx context.Context) ([]byte, error)
	// Write replaces the stored bytes.
	Write(ctx context.Context, data []byte) error
}

// Locker is implemented by storage that other processes share. Lock is held
// across each read-modify-write, so concurrent writers never lose an update.
type Locker interface {
	Lock(ctx context.Context) (unlock func(), err error)
}

// Stamper is implemented by storage that can tell cheaply whether it changed
// since it was last read (a file's size and modification time, say). A Cache
// re-reads such storage only when the stamp moves.
type Stamper interface {
	Stamp(ctx context.Context) (string, error)
}
