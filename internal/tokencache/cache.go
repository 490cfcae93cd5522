package tokencache

import (
	"bytes"
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
	// stamp is storage's Stamp when data was read or written; "" forces a read.
	stamp string
	// data is what storage held when last read or written.
	data []byte
	// served is what the last Replace handed MSAL: the base against which the
	// next Export's changes are computed.
	served []byte
	// rejected is stored bytes MSAL couldn't decode. The next write starts
	// from an empty cache instead of merging into them, or the bad entries
	// would survive every write and no sign-in would ever fix the cache.
	rejected []byte
	// warned is the stamp last warned about, so that an undecodable store is
	// reported once per version rather than on every call.
	warned string
	// sibling is the other CAE mode's cache of the same credential, which
	// receives the account and refresh token of every sign-in.
	sibling *Cache
	// gen counts the versions of data this Cache has seen.
	gen uint64
	// msalGen is the version of data that MSAL holds in memory, when
	// msalHolds: decoding it again on every Replace (MSAL's whole cache, on
	// every silent call) would cost more than the call itself once many
	// tokens are cached.
	msalGen   uint64
	msalHolds bool
	// parsed is data decoded, when parsedGen is gen: decoding the whole
	// cache once per write instead of three times.
	parsed    contract
	parsedGen uint64
}

// parsedData returns data decoded. The result is c's own: callers may change
// it only as they change data. c.mu is held.
func (c *Cache) parsedData() (contract, error) {
	if c.parsed != nil && c.parsedGen == c.gen {
		return c.parsed, nil
	}
	p, err := parse(c.data)
	if err != nil {
		return nil, err
	}
	c.parsed, c.parsedGen = p, c.gen
	return p, nil
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

// Replace implements cache.ExportReplace. Storage is read only when its
// stamp moved since this Cache last read or wrote it.
func (c *Cache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, err := c.load(ctx)
	if err != nil {
		return err
	}
	if c.msalHolds && c.msalGen == c.gen {
		return nil
	}
	c.served = data
	c.msalHolds, c.msalGen = true, c.gen
	if len(data) == 0 {
		// Unmarshal of nothing fails; an empty object also clears what MSAL
		// holds in memory, which sign-out relies on.
		return u.Unmarshal([]byte("{}"))
	}
	if err := u.Unmarshal(data); err != nil {
		// MSAL's message may quote the bytes it choked on, which may be a
		// token, so it stays out of the log.
		c.warnOnce(c.stamp, "the token cache can't be decoded, so it is treated as empty and the next sign-in overwrites it")
		c.served = nil
		c.rejected = data
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
	var base contract
	if c.msalHolds && c.msalGen == c.gen {
		base, _ = c.parsedData() // what MSAL was served is data
	} else {
		base, _ = parse(c.served)
	}
	changes := diff(base, nextC)
	sibling := c.sibling
	servedGen := c.msalGen
	unchanged := false // storage still held what MSAL was served
	err = c.update(ctx, func(cur contract) bool {
		unchanged = c.gen == servedGen
		cur.apply(changes)
		return len(changes) > 0
	})
	if err == nil && unchanged {
		// MSAL's memory is its Replace plus its changes, which is what
		// storage now holds: the next Replace needn't hand it over again.
		c.served = c.data
		c.msalHolds, c.msalGen = true, c.gen
	} else {
		c.msalHolds = false
	}
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
	if _, mem := c.storage.(*memory); mem {
		return c.data, nil
	}
	st, ok := c.storage.(Stamper)
	if !ok {
		return c.read(ctx, "")
	}
	stamp, err := st.Stamp(ctx)
	if err != nil {
		return nil, err
	}
	if stamp != "" && stamp == c.stamp {
		return c.data, nil
	}
	data, err := c.read(ctx, stamp)
	if err != nil {
		return nil, err
	}
	c.stamp = stamp
	return data, nil
}

// read reads storage, whose stamp is stamp. Bytes that can't be decoded read
// as empty. c.mu is held.
func (c *Cache) read(ctx context.Context, stamp string) ([]byte, error) {
	data, err := c.storage.Read(ctx)
	if isCorrupt(err) {
		c.warnOnce(stamp, err.Error()+"; it is treated as empty and the next sign-in overwrites it")
		data, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.data = data
	c.gen++
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
	// Under the lock no cooperating process writes, so the stamp taken here
	// (and after our write, below) names exactly the bytes we read (or wrote).
	stamp := c.stampNow(ctx)
	var cur []byte
	if _, mem := c.storage.(*memory); mem {
		cur = c.data
	} else {
		var err error
		cur, err = c.storage.Read(ctx)
		if isCorrupt(err) {
			c.warnOnce(stamp, err.Error()+"; it is overwritten")
			cur, err = nil, nil
		}
		if err != nil {
			return err
		}
	}
	if !bytes.Equal(cur, c.data) {
		// Another writer changed storage since this Cache last saw it.
		c.data = cur
		c.gen++
	}
	parsed, err := c.parsedData()
	switch {
	case err != nil:
		c.warnOnce(stamp, err.Error()+"; it is overwritten")
		parsed = contract{}
	case c.rejected != nil && bytes.Equal(cur, c.rejected):
		parsed = contract{}
	}
	if !modify(parsed) {
		c.data, c.stamp = cur, stamp
		return nil
	}
	out := parsed.marshal()
	if err := c.storage.Write(ctx, out); err != nil {
		c.stamp = ""
		c.parsed = nil // modify changed it, but storage didn't change
		return err
	}
	c.data, c.rejected = out, nil
	c.gen++
	c.parsed, c.parsedGen = parsed, c.gen
	// Our own write needn't be read back: the new stamp names what we wrote.
	c.stamp = c.stampNow(ctx)
	return nil
}

// stampNow returns storage's stamp, or "" (which forces the next read) when
// it has none or can't tell.
func (c *Cache) stampNow(ctx context.Context) string {
	st, ok := c.storage.(Stamper)
	if !ok {
		return ""
	}
	s, err := st.Stamp(ctx)
	if err != nil {
		return ""
	}
	return s
}

// warnOnce warns unless it already did about this version of storage.
func (c *Cache) warnOnce(stamp, msg string) {
	if stamp != "" && stamp == c.warned {
		return
	}
	c.warned = stamp
	c.warn(msg)
}
