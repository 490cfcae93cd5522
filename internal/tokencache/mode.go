package tokencache

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// mode is the cache of one CAE mode, MSAL's cache.ExportReplace for that
// mode's client. Its state is guarded by its Store's mu, except io.
type mode struct {
	s       *Store
	cae     bool
	storage Storage // keeps the cache across processes; nil keeps it in memory only
	// openAzidentity returns azidentity/cache's store of the same cache (or
	// nil), opened at first use: read while storage is empty.
	openAzidentity func() reader
	m              *model // storage as last read or written, with pending on top
	gen            uint64 // counts the versions of m, from 1: a view of gen 0 is never current
	loaded         bool   // storage was read or written: a failing read can fall back on m
	stamp          string // storage's stamp when m was last in step with it; "" is unknown
	// pending are the changes storage doesn't hold yet because a write
	// failed; pendingGen counts the ops queued, so a write knows whether
	// pending changed while it wrote.
	pending    []op
	pendingGen uint64
	// rejected is the stamp of stored bytes that couldn't be decoded: the
	// next write replaces them rather than merging into them.
	rejected string
	// readFailing is set while reads fail, and warned is the stamp last
	// warned about, so that each problem is reported once.
	readFailing bool
	warned      string
	served      *served       // what MSAL holds, nil when unknown
	io          chan struct{} // held by whoever uses storage, one at a time, taken without s.mu
	// writing is set while the writer goroutine runs; written is closed
	// once the changes made since the last write began are written (or
	// their write failed).
	writing bool
	written chan struct{}
}

// Replace implements cache.ExportReplace: it hands MSAL the view the call
// needs, unless MSAL holds it already.
func (p *mode) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	s := p.s
	c := s.callOf(ctx)
	n := 0
	var scopes []string // all of the access tokens without a call
	if c != nil {
		s.mu.Lock()
		c.replaces++
		n, scopes = c.replaces, c.scopes
		s.mu.Unlock()
	}
	if p.storage != nil {
		if err := p.refresh(ctx, c, n); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ats := p.m.matching(scopes)
	if v := p.served; c != nil && v != nil && v.gen == p.gen && v.fits(ats) {
		return nil
	}
	v := newView(p.m, ats)
	v.gen = p.gen
	if err := u.Unmarshal((&model{sections: v.sections}).marshal()); err != nil {
		// MSAL's message may quote the bytes it choked on, which may be a
		// token, so it stays out of the log.
		p.warnOnce(p.stamp, "the token cache can't be decoded, so it is treated as empty and the next sign-in overwrites it")
		p.m = newModel()
		p.gen++
		if p.storage != nil {
			p.rejected = p.stamp
		}
		v = &served{gen: p.gen, sections: contract{}}
		if err := u.Unmarshal([]byte("{}")); err != nil {
			return err
		}
	}
	p.served = v
	return nil
}

// Export implements cache.ExportReplace: what MSAL changed since its Replace
// goes into the cache (its shared sections into the other mode's too) and
// then to storage, waited for only briefly. It fails only when MSAL's own
// bytes can't be read: a failed write costs a warning, not the token.
func (p *mode) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	next, err := m.Marshal()
	if err != nil {
		return err
	}
	nextC, err := parse(next)
	if err != nil {
		return err
	}
	s := p.s
	c := s.callOf(ctx)
	s.mu.Lock()
	all := p.served.diff(nextC)
	changes, dropped := s.dropRemoved(c, all)
	if len(all) == 0 {
		s.mu.Unlock()
		return nil
	}
	v := p.served
	current := v != nil && v.gen == p.gen && !dropped
	writes := []<-chan struct{}{p.apply(changes), s.mode(!p.cae).apply(shared(changes))}
	writes = slices.DeleteFunc(writes, func(w <-chan struct{}) bool { return w == nil })
	if v != nil {
		// MSAL holds its changes, dropped or not; unless the cache holds
		// the same, the next Replace hands it a new view.
		v.apply(all)
		v.gen = 0
		if current {
			v.gen = p.gen
		}
	}
	for _, ch := range changes {
		if c == nil || ch.section != sectionAccessToken {
			continue
		}
		if e := p.m.ats[ch.key]; e != nil && e.secret != "" {
			c.tokens = append(c.tokens, e.secret)
		}
	}
	overdue := s.writeOverdue
	s.mu.Unlock()
	if overdue {
		return nil // storage hangs: the token is the caller's at once
	}
	t := time.NewTimer(writeGrace)
	defer t.Stop()
	for _, w := range writes {
		select {
		case <-w:
		case <-t.C:
			s.mu.Lock()
			s.writeOverdue = true
			s.mu.Unlock()
			return nil
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// apply makes changes in m, queues them for storage and starts writing
// them. It returns a channel closed when they are written (or failed), or
// nil when there is nothing to write. s.mu is held.
func (p *mode) apply(changes []change) <-chan struct{} {
	if len(changes) == 0 {
		return nil
	}
	for _, ch := range changes {
		if ch.section == sectionRefreshToken {
			p.s.rtGen++
		}
		p.m.set(ch.section, ch.key, ch.value)
		if p.storage != nil {
			p.queue(op{section: ch.section, key: ch.key, value: ch.value})
		}
	}
	p.gen++
	if p.storage == nil {
		return nil
	}
	return p.kick()
}

// warnOnce warns unless it already did about this version of storage.
func (p *mode) warnOnce(stamp, msg string) {
	if stamp != "" && stamp == p.warned {
		return
	}
	p.warned = stamp
	p.s.warn(fmt.Sprintf("%s: %s", p.name(), msg))
}

func (p *mode) name() string {
	if p.cae {
		return "token cache (CAE)"
	}
	return "token cache"
}
