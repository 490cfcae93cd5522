package tokencache

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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

// load reads storage when it changed since this part last read or wrote it.
// s.mu is held.
//
// A read that fails is an error only for the first Replace of a silent call
// when storage was never read: that call has nothing to find a token in, and
// the error says why. Otherwise the call works from the cache in memory (and
// one warning says why), because failing would lose a token: MSAL's writes
// (a finished sign-in, a redeemed refresh token) begin with a Replace, and
// MSAL drops the token when it fails.
func (p *part) load(ctx context.Context, c *call) error {
	if p.storage == nil {
		return nil
	}
	stamp, err := p.stampNow(ctx)
	if err == nil && p.loaded && stamp != "" && stamp == p.stamp {
		return nil
	}
	if err == nil {
		err = p.read(ctx, stamp)
	}
	if err == nil {
		return nil
	}
	if !p.loaded && (c == nil || c.silent && c.replaces == 1) {
		return err
	}
	if ctx.Err() == nil && !p.readFailing {
		p.readFailing = true
		p.s.warn(fmt.Sprintf("%s: can't be read, so tokens in memory are used: %v", p.name(), err))
	}
	return nil
}

// read replaces m with storage, whose stamp is stamp, plus pending. Bytes
// that can't be decoded read as an empty cache, which the next write
// overwrites. s.mu is held.
func (p *part) read(ctx context.Context, stamp string) error {
	c := contract{}
	if p.rejected == "" || stamp != p.rejected {
		data, err := p.storage.Read(ctx)
		switch {
		case isCorrupt(err):
			p.warnOnce(stamp, err.Error()+"; it is treated as empty and the next sign-in overwrites it")
		case err != nil:
			return err
		default:
			if c, err = parse(data); err != nil {
				p.warnOnce(stamp, err.Error()+"; it is treated as empty and the next sign-in overwrites it")
				c = contract{}
			}
		}
	}
	m := modelOf(c)
	replay(m, p.pending)
	p.m, p.stamp, p.loaded, p.readFailing = m, stamp, true, false
	p.changed()
	return nil
}

// persist writes m to storage when it holds changes storage lacks. On
// failure the changes stay pending, for the next write to try again, and
// the first failure of a run (in either mode) is logged, as is the write
// that ends it. s.mu is held.
func (p *part) persist(ctx context.Context) error {
	if len(p.pending) == 0 {
		return nil
	}
	s := p.s
	if err := p.write(ctx); err != nil {
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

// write runs the locked read-modify-write of storage. s.mu is held.
func (p *part) write(ctx context.Context) error {
	if l, ok := p.storage.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return err
		}
		defer unlock()
	}
	// Under the lock no cooperating process writes, so this stamp names
	// exactly the bytes read (or, taken after the write, written).
	stamp, err := p.stampNow(ctx)
	if err != nil || !p.loaded || stamp == "" || stamp != p.stamp {
		if err := p.read(ctx, stamp); err != nil {
			return err
		}
	}
	if err := p.storage.Write(ctx, p.m.marshal()); err != nil {
		p.stamp = "" // storage may or may not have changed: read it next time
		return err
	}
	p.pending, p.rejected = nil, ""
	p.stamp, _ = p.stampNow(ctx)
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
