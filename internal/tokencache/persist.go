package tokencache

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Storage holds a whole cache in MSAL's schema, shared with other processes,
// so a write replaces it whole: under storage's lock, when the stamp shows
// another writer changed it, storage is read again and pending changes are
// replayed on top, so two writers never lose each other's entries.
// Storage I/O never happens under s.mu, so a hung keyring or disk holds up
// only the goroutine talking to it; p.io orders this process's use of it.

// op is one change that storage doesn't hold yet.
type op struct {
	section, key string
	value        json.RawMessage
	// removeAccount, when set, makes the op delete that account's entries.
	removeAccount string
}

// queue adds o to pending, dropping the ops o supersedes, so that pending
// holds at most one op per entry however long writes fail.
func (p *mode) queue(o op) {
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

func replay(m *model, ops []op) {
	for _, o := range ops {
		if o.removeAccount != "" {
			m.removeAccount(o.removeAccount)
		} else {
			m.set(o.section, o.key, o.value)
		}
	}
}

// writeGrace is how long a call that stored a token waits for storage. A
// store that is slow but works (a loaded gnome-keyring takes hundreds of
// milliseconds) answers within it, so a program that exits right after its
// token has saved it, new refresh token included. A store that hangs costs
// one caller this, and later callers nothing until a write ends (see
// Store.writeOverdue).
var writeGrace = defaultWriteGrace // a variable for tests

const defaultWriteGrace = 2 * time.Second

// writeBound bounds one background write, unlock prompt included: a prompt
// nobody answers is dismissed then, and the write fails with a warning.
const writeBound = time.Minute

// refresh reads storage into m when it changed since m was last in step
// with it. n is the call's count of Replaces (0 without a call). A read that
// fails is an error only for the first Replace of a silent call when
// storage was never read: that call has nothing to find a token in.
// Otherwise the call works from memory, with one warning, because MSAL drops
// the token it got when its Replace fails. A write under way means memory
// holds what it writes and more, so the call doesn't wait for it.
func (p *mode) refresh(ctx context.Context, c *call, n int) error {
	s := p.s
	s.mu.Lock()
	loaded := p.loaded
	s.mu.Unlock()
	select {
	case p.io <- struct{}{}:
	default:
		if loaded {
			return nil // a write or read under way: memory serves
		}
		select {
		case p.io <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-p.io }()
	// Unlike write, a stamp that fails skips the read: storage that can't be
	// stat'ed would be read again at every call.
	stamp, err := p.storage.Stamp(ctx)
	if err == nil {
		err = p.load(ctx, stamp)
	}
	if err == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.loaded && (c == nil || c.silent && n == 1) {
		return err
	}
	if ctx.Err() == nil && !p.readFailing {
		p.readFailing = true
		s.warn(fmt.Sprintf("%s: can't be read, so tokens in memory are used: %v", p.name(), err))
	}
	return nil
}

// load makes m storage's contents, whose stamp is stamp, plus pending,
// unless m is in step with that stamp already. Bytes that can't be decoded
// read as an empty cache, which the next write overwrites. p.io is held.
func (p *mode) load(ctx context.Context, stamp string) error {
	s := p.s
	s.mu.Lock()
	fresh := p.loaded && stamp != "" && stamp == p.stamp
	rejected := p.rejected != "" && stamp == p.rejected
	s.mu.Unlock()
	if fresh {
		return nil
	}
	c := contract{}
	if !rejected {
		data, err := p.storage.Read(ctx)
		if err == nil && len(data) == 0 && p.openAzidentity != nil {
			// Never signed in here: a sign-in through azidentity/cache serves,
			// and its store failing is no reason to fail this read.
			if theirs := p.openAzidentity(); theirs != nil {
				if b, err := theirs.Read(ctx); err == nil {
					data = b
				}
			}
		}
		if err != nil && !isCorrupt(err) {
			return err
		}
		if err == nil {
			c, err = parse(data) // an empty contract when it fails
		}
		if err != nil {
			s.mu.Lock()
			p.warnOnce(stamp, err.Error()+"; it is treated as empty and the next sign-in overwrites it")
			s.mu.Unlock()
		}
	}
	m := modelOf(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	replay(m, p.pending)
	p.m, p.stamp, p.loaded, p.readFailing = m, stamp, true, false
	p.gen++
	s.rtGen++ // another process may have stored a new refresh token
	return nil
}

// kick starts the writer unless it runs, and returns a channel closed when
// what is pending now is written (or its write failed). s.mu is held.
func (p *mode) kick() <-chan struct{} {
	if p.written == nil {
		p.written = make(chan struct{})
	}
	if !p.writing {
		p.writing = true
		go p.writer()
	}
	return p.written
}

// writer writes pending changes until there are none or a write fails, and
// after each write lets go of the calls whose changes it held; a failed
// write is tried again with the next change.
func (p *mode) writer() {
	s := p.s
	for {
		s.mu.Lock()
		done := p.written
		p.written = make(chan struct{}) // for changes made during this write
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), writeBound)
		err := p.flush(ctx)
		cancel()
		s.mu.Lock()
		close(done)
		if err != nil || len(p.pending) == 0 {
			p.writing = false
			s.writeOverdue = false
			close(p.written)
			p.written = nil
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// flush writes m to storage when changes are pending. On failure they stay
// pending, and the first failure of a run (in either mode) is logged, as is
// the write that ends it.
func (p *mode) flush(ctx context.Context) error {
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
	if s.writeFailing && len(s.modes[0].pending)+len(s.modes[1].pending) == 0 {
		s.writeFailing = false
		s.warn("the token cache is saved again, with the tokens that were kept in memory only")
	}
	return nil
}

// write runs the locked read-modify-write of storage. A stamp that fails
// only makes it read storage: under the lock, what it reads is what it
// merges into. p.io is held.
func (p *mode) write(ctx context.Context) error {
	unlock, err := p.storage.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	// Under the lock no cooperating process writes, so this stamp names
	// exactly the bytes read (or, taken after the write, written).
	stamp, _ := p.storage.Stamp(ctx)
	if err := p.load(ctx, stamp); err != nil {
		return err
	}
	s := p.s
	s.mu.Lock()
	data, gen := p.m.marshal(), p.pendingGen
	s.mu.Unlock()
	err = p.storage.Write(ctx, data)
	after := ""
	if err == nil {
		after, _ = p.storage.Stamp(ctx)
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
