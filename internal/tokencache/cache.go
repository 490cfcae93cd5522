package tokencache

import (
	"context"
	"sync"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// Cache implements MSAL's cache.ExportReplace over a Storage.
type Cache struct {
	storage Storage
	// warn reports storage that can't be decoded; it is then treated as empty.
	warn func(msg string)

	mu sync.Mutex // guards everything below, and orders this process's read-modify-writes of storage
	// stamp is storage's Stamp when data was read; "" forces a read.
	stamp string
	// data is what storage held when last read or written.
	data []byte
	// served is what the last Replace handed MSAL: the base against which the
	// next Export's changes are computed.
	served []byte
	// sibling is the other CAE mode's cache of the same credential, which
	// receives the account and refresh token of every sign-in.
	sibling *Cache
}

var _ cache.ExportReplace = (*Cache)(nil)

// New returns a Cache over s; nil s keeps the cache in memory. warn, when not
// nil, is told about unreadable storage.
func New(s Storage, warn func(msg string)) *Cache {
	if s == nil {
		s = &memory{}
	}
	if warn == nil {
		warn = func(string) {}
	}
	return &Cache{storage: s, warn: warn}
}

// Link makes a and b share accounts and refresh tokens (but not access
// tokens): what either learns from a sign-in, the other can redeem.
func Link(a, b *Cache) {
	a.mu.Lock()
	a.sibling = b
	a.mu.Unlock()
	b.mu.Lock()
	b.sibling = a
	b.mu.Unlock()
}

// Replace implements cache.ExportReplace.
func (c *Cache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	c.mu.Lock()
	data, err := c.load(ctx)
	if err == nil {
		c.served = data
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if len(data) == 0 {
		// Unmarshal of nothing fails; an empty object also clears what MSAL
		// holds in memory, which sign-out relies on.
		data = []byte("{}")
	}
	if err := u.Unmarshal(data); err != nil {
		c.warn("the token cache could not be decoded and is treated as empty: " + err.Error())
		return u.Unmarshal([]byte("{}"))
	}
	return nil
}

// Export implements cache.ExportReplace. Only what MSAL changed since its
// Replace is written, merged into what storage holds now.
func (c *Cache) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	next, err := m.Marshal()
	if err != nil {
		return err
	}
	nextC, err := parse(next)
	if err != nil {
		return err
	}
	c.mu.Lock()
	base, _ := parse(c.served)
	changes := diff(base, nextC)
	sibling := c.sibling
	err = c.update(ctx, func(cur contract) bool {
		cur.apply(changes)
		return len(changes) > 0
	})
	c.mu.Unlock()
	if err != nil || sibling == nil {
		return err
	}
	if sh := shared(changes); len(sh) > 0 {
		sibling.mu.Lock()
		defer sibling.mu.Unlock()
		return sibling.update(ctx, func(cur contract) bool {
			cur.apply(sh)
			return true
		})
	}
	return nil
}

// RemoveAccount deletes every token and the account record of
// homeAccountID from storage.
func (c *Cache) RemoveAccount(ctx context.Context, homeAccountID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.update(ctx, func(cur contract) bool { return cur.removeAccount(homeAccountID) })
}

// load returns storage's contents, reading only when they changed. c.mu is held.
func (c *Cache) load(ctx context.Context) ([]byte, error) {
	st, ok := c.storage.(Stamper)
	if !ok {
		if _, mem := c.storage.(*memory); mem {
			return c.data, nil
		}
		return c.read(ctx)
	}
	stamp, err := st.Stamp(ctx)
	if err != nil {
		return nil, err
	}
	if stamp != "" && stamp == c.stamp {
		return c.data, nil
	}
	data, err := c.read(ctx)
	if err != nil {
		return nil, err
	}
	c.stamp = stamp
	return data, nil
}

func (c *Cache) read(ctx context.Context) ([]byte, error) {
	data, err := c.storage.Read(ctx)
	if err != nil {
		return nil, err
	}
	c.data = data
	return data, nil
}

// update runs a locked read-modify-write of storage. c.mu is held.
func (c *Cache) update(ctx context.Context, modify func(contract) bool) error {
	if l, ok := c.storage.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return err
		}
		defer unlock()
	}
	var cur []byte
	if _, mem := c.storage.(*memory); mem {
		cur = c.data
	} else {
		var err error
		if cur, err = c.storage.Read(ctx); err != nil {
			return err
		}
	}
	parsed, err := parse(cur)
	if err != nil {
		c.warn("the token cache could not be decoded and will be overwritten: " + err.Error())
		parsed = contract{}
	}
	if !modify(parsed) {
		c.data = cur
		return nil
	}
	out := parsed.marshal()
	if err := c.storage.Write(ctx, out); err != nil {
		return err
	}
	c.data = out
	// The next load must re-read: the write moved the stamp, and other
	// processes may write after us.
	c.stamp = ""
	return nil
}
