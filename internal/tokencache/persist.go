package tokencache

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Persistent storage holds the whole cache in MSAL's schema, which other
// processes (and Python's azure-identity) share, so every write replaces it
// whole. A write is a read-modify-write under storage's lock: when the stamp
// shows another writer changed storage since this part last read or wrote
// it, storage is read again and this part's pending changes are applied on
// top, so that two writers never lose each other's entries (a three-way
// merge: what this part last saw, what it changed, what storage holds now).
// Otherwise what this part holds is storage plus its changes already, and
// storage isn't read at all.

// op is one change that storage doesn't hold yet.
type op struct {
	section, key string
	value        json.RawMessage
	// removeAccount, when set, makes the op delete that account's entries.
	removeAccount string
}

// queue adds o to pending, dropping the ops o supersedes, so that pending
// holds at most one op per entry however long writes fail.
func (p *part) queue(o op) {
	kept := p.pending[:0]
	for _, q := range p.pending {
		switch {
		case o.removeAccount != "" && q.removeAccount == "" && ofAccount(q.key, q.value, o.removeAccount),
			o.removeAccount != "" && strings.EqualFold(q.removeAccount, o.removeAccount),
			o.removeAccount == "" && q.removeAccount == "" && q.section == o.section && q.key == o.key:
			continue
		}
		kept = append(kept, q)
	}
	p.pending = append(kept, o)
	p.pendingGen++
}

// replay applies ops to m.
func replay(m *model, ops []op) {
	for _, o := range ops {
		if o.removeAccount != "" {
			m.removeAccount(o.removeAccount)
		} else {
			m.set(o.section, o.key, o.value)
		}
	}
}

// Storage I/O never happens under s.mu, so that a keyring or a disk that
// hangs holds up only the goroutine talking to it: a call served from
// memory, or a new token, never waits for storage. p.io orders this
// process's use of the part's storage (implementations needn't be safe for
// concurrent use).

// writeGrace is how long a call that stored a token waits for storage
// before returning the token anyway. A healthy store answers well within it,
// so a program that exits right after getting its token has saved it; a
// store that hangs costs the caller no more than this.
var writeGrace = 80 * time.Millisecond // a variable for tests

// writeBound bounds one background write, unlock prompt included: a prompt
// nobody answers is dismissed then, and the write fails with a warning.
const writeBound = time.Minute

// refresh reads storage into m when it changed since this part last read or
// wrote it. n is the call's count of Replaces (0 without a call).
//
// A read that fails is an error only for the first Replace of a silent call
// when storage was never read: that call has nothing to find a token in, and
// the error says why. Otherwise the call works from the cache in memory (and
// one warning says why), because failing would lose a token: MSAL's writes
// (a finished sign-in, a redeemed refresh token) begin with a Replace, and
// MSAL drops the token when it fails. While a write is under way, memory
// holds what it writes and more, so the call doesn't wait for it.
func (p *part) refresh(ctx context.Context, c *call, n int) error {
	s := p.s
	s.mu.Lock()
	loaded := p.loaded
	s.mu.Unlock()
	if loaded {
		select {
		case p.io <- struct{}{}:
		default:
			return nil
		}
	} else {
		select {
		case p.io <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-p.io }()
	stamp, err := p.stampNow(ctx)
	s.mu.Lock()
	fresh := err == nil && p.loaded && stamp != "" && stamp == p.stamp
	s.mu.Unlock()
	if fresh {
		return nil
	}
	var data contract
	if err == nil {
		data, err = p.fetch(ctx, stamp)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		p.adopt(stamp, data)
		return nil
	}
	if !p.loaded && (c == nil || c.silent && n == 1) {
		return err
	}
	if ctx.Err() == nil && !p.readFailing {
		p.readFailing = true
		p.s.warn(fmt.Sprintf("%s: can't be read, so tokens in memory are used: %v", p.name(), err))
	}
	return nil
}

// fetch reads storage, whose stamp is stamp. Bytes that can't be decoded
// read as an empty cache, which the next write overwrites. p.io is held.
func (p *part) fetch(ctx context.Context, stamp string) (contract, error) {
	s := p.s
	s.mu.Lock()
	rejected := p.rejected != "" && stamp == p.rejected
	s.mu.Unlock()
	if rejected {
		return contract{}, nil
	}
	data, err := p.storage.Read(ctx)
	if err == nil && len(data) == 0 && p.openAzidentity != nil {
		// Never signed in here: a sign-in through azidentity/cache serves.
		// Its store failing is no reason to fail this one's read.
		if theirs := p.openAzidentity(); theirs != nil {
			if b, err := theirs.Read(ctx); err == nil {
				data = b
			}
		}
	}
	if err != nil && !isCorrupt(err) {
		return nil, err
	}
	if err == nil {
		var c contract
		if c, err = parse(data); err == nil {
			return c, nil
		}
	}
	// Bytes that don't decode read as empty, warned about once per version.
	s.mu.Lock()
	defer s.mu.Unlock()
	p.warnOnce(stamp, err.Error()+"; it is treated as empty and the next sign-in overwrites it")
	return contract{}, nil
}

// adopt makes m storage's contents c, whose stamp is stamp, plus pending.
// s.mu is held.
func (p *part) adopt(stamp string, c contract) {
	m := modelOf(c)
	replay(m, p.pending)
	p.m, p.stamp, p.loaded, p.readFailing = m, stamp, true, false
	p.changed()
	p.s.rtGen++ // another process may have stored a new refresh token
}

// kick starts the part's writer unless it runs, and returns a channel closed
// when the writer has written what is pending now (or failed). s.mu is held.
func (p *part) kick() <-chan struct{} {
	if !p.writing {
		p.writing = true
		p.written = make(chan struct{})
		go p.writer()
	}
	return p.written
}

// writer writes pending changes until there are none or a write fails, each
// write bounded by writeBound, then lets go of what waited for it. A failed
// write is tried again with the next change.
func (p *part) writer() {
	s := p.s
	for {
		ctx, cancel := context.WithTimeout(context.Background(), writeBound)
		err := p.flush(ctx)
		cancel()
		s.mu.Lock()
		if err == nil && len(p.pending) > 0 {
			s.mu.Unlock()
			continue
		}
		p.writing = false
		close(p.written)
		after := p.afterWrite
		p.afterWrite = nil
		s.mu.Unlock()
		for _, f := range after {
			f()
		}
		return
	}
}

// flush writes m to storage when it holds changes storage lacks. On
// failure the changes stay pending, for the next write to try again, and
// the first failure of a run (in either mode) is logged, as is the write
// that ends it.
func (p *part) flush(ctx context.Context) error {
	select {
	case p.io <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%s can't be saved: %w", p.name(), ctx.Err())
	}
	defer func() { <-p.io }()
	s := p.s
	s.mu.Lock()
	idle := len(p.pending) == 0
	s.mu.Unlock()
	if idle {
		return nil
	}
	err := p.write(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if !s.writeFailing {
			s.writeFailing = true
			s.warn(fmt.Sprintf("the token cache can't be saved, so new tokens are kept in memory only (this process still has them), and saving is tried again with each new token: %v", err))
		}
		return fmt.Errorf("%s can't be saved: %w", p.name(), err)
	}
	if s.writeFailing && len(s.parts[0].pending)+len(s.parts[1].pending) == 0 {
		s.writeFailing = false
		s.warn("the token cache is saved again, with the tokens that were kept in memory only")
	}
	return nil
}

// write runs the locked read-modify-write of storage. p.io is held.
func (p *part) write(ctx context.Context) error {
	if l, ok := p.storage.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return err
		}
		defer unlock()
	}
	s := p.s
	// Under the lock no cooperating process writes, so this stamp names
	// exactly the bytes read (or, taken after the write, written).
	stamp, err := p.stampNow(ctx)
	s.mu.Lock()
	fresh := err == nil && p.loaded && stamp != "" && stamp == p.stamp
	s.mu.Unlock()
	if !fresh {
		c, err := p.fetch(ctx, stamp)
		if err != nil {
			return err
		}
		s.mu.Lock()
		p.adopt(stamp, c)
		s.mu.Unlock()
	}
	s.mu.Lock()
	data, gen := p.m.marshal(), p.pendingGen
	s.mu.Unlock()
	err = p.storage.Write(ctx, data)
	after := ""
	if err == nil {
		after, _ = p.stampNow(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		p.stamp = "" // storage may or may not have changed: read it next time
		return err
	}
	if p.pendingGen == gen {
		p.pending = nil
	}
	p.rejected, p.stamp = "", after
	return nil
}

// stampNow returns storage's stamp, or "" when it has none.
func (p *part) stampNow(ctx context.Context) (string, error) {
	st, ok := p.storage.(Stamper)
	if !ok {
		return "", nil
	}
	return st.Stamp(ctx)
}
