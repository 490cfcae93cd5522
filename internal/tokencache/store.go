package tokencache

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// Store owns the two MSAL caches of one credential, CAE and non-CAE. MSAL
// needs a client per CAE mode (only a CAE client announces the CP1
// capability), but a user signs in once: the two share accounts and refresh
// tokens, and sign-out and redemption go through the Store, which treats
// them as one. A change that storage can't take stays in memory, one
// warning says why, and later writes try again.
type Store struct {
	warn func(string)
	// retrying is the slot of redemptions that lost a race, run one at a
	// time; racing counts the calls waiting for it or holding it, and while
	// it isn't 0, new redemptions queue too.
	retrying chan struct{}
	racing   atomic.Int32
	// redeemLock keeps other processes' redemptions out while this one's
	// run; nil for a cache in memory.
	redeemLock *sharedLock

	// mu guards the modes' state and everything below. It is never held
	// across storage I/O or while waiting for redeemLock.
	mu    sync.Mutex
	modes [2]*mode // indexed by cae
	// removed maps a signed-out home account ID (lowercase) to the session
	// that followed its sign-out: what calls of earlier sessions write for
	// it is dropped.
	removed map[string]uint64
	// flying holds a channel per redemption running, closed when it ends.
	flying map[chan struct{}]struct{}
	// rtGen counts the changes of refresh tokens: stored here, or perhaps
	// by another process (read from storage).
	rtGen        uint64
	redeemWarned bool // the redemption lock's failure was logged
	writeFailing bool // writes fail: one warning covers the run
	// writeOverdue is set when a call gave up waiting for its write (see
	// writeGrace), until a writer stops: while storage hangs, calls don't
	// wait for it.
	writeOverdue bool
}

// Open returns the Store of one credential over p. warn, when not nil, is
// told about problems that don't stop the cache from working.
func Open(p Cache, warn func(msg string)) (*Store, error) {
	if warn == nil {
		warn = func(string) {}
	}
	s := &Store{warn: warn, retrying: make(chan struct{}, 1), removed: map[string]uint64{}, flying: map[chan struct{}]struct{}{}}
	if p.warning != "" {
		warn(p.warning)
	}
	for i, cae := range []bool{false, true} {
		var st Storage
		if p.open != nil {
			var err error
			if st, err = p.open(cae, warn); err != nil {
				return nil, err
			}
			if c, ok := st.(checker); ok {
				if err := c.check(warn); err != nil {
					return nil, err
				}
			}
		}
		s.modes[i] = &mode{s: s, cae: cae, storage: st, m: newModel(), gen: 1, io: make(chan struct{}, 1)}
		if st != nil && p.azidentity != nil {
			s.modes[i].openAzidentity = sync.OnceValue(func() reader { return p.azidentity(cae, warn) })
		}
	}
	if p.redeemLock != "" {
		if err := checkExisting(p.redeemLock, nil); err != nil {
			return nil, err
		}
		s.redeemLock = &sharedLock{lock: fileLock{path: p.redeemLock, staleAfter: redeemLockStale}}
	}
	return s, nil
}

// Mode returns the MSAL cache of one CAE mode, for one MSAL client: the
// Store tracks what that client holds.
func (s *Store) Mode(cae bool) cache.ExportReplace { return s.mode(cae) }

func (s *Store) mode(cae bool) *mode {
	if cae {
		return s.modes[1]
	}
	return s.modes[0]
}

// callKey and redeemKey are the context keys of a Store's calls.
type (
	callKey   struct{ s *Store }
	redeemKey struct{ s *Store }
)

// call is what Begin records about one MSAL call.
type call struct {
	session uint64   // the caller's session (see Begin)
	scopes  []string // folded (foldScope), duplicates kept
	// silent is set inside Redeem: a silent call's first Replace may fail
	// without losing a token (see mode.refresh).
	silent bool
	// replaces counts the call's Replaces, and tokens are the access tokens
	// it stored, as the Store keeps them (see Intern). Guarded by Store.mu.
	replaces int
	tokens   []string
}

func (s *Store) callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{s}).(*call)
	return c
}

// Begin prepares ctx for one MSAL call that wants scopes. MSAL hands the
// call's context to Replace and Export, so the Store can tell which access
// tokens the call's views must hold, and whether it began before a sign-out
// whose account it must not write back: session numbers the caller's
// sign-in sessions, which a sign-out ends (see RemoveAccount). Without
// Begin, MSAL gets whole caches.
func (s *Store) Begin(ctx context.Context, session uint64, scopes []string) context.Context {
	c := &call{session: session, silent: ctx.Value(redeemKey{s}) != nil, scopes: make([]string, len(scopes))}
	for i, sc := range scopes {
		c.scopes[i] = foldScope(sc)
	}
	return context.WithValue(ctx, callKey{s}, c)
}

// Intern returns the Store's own copy of token if the call of ctx stored it,
// or token itself: a caller that keeps tokens should keep this one, so the
// process holds one copy, not two.
func (s *Store) Intern(ctx context.Context, token string) string {
	c := s.callOf(ctx)
	if c == nil {
		return token
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(c.tokens, token); i >= 0 {
		return c.tokens[i]
	}
	return token
}

// Silent marks ctx for silent MSAL calls (see Begin), made outside Redeem
// because they may not redeem a refresh token.
func (s *Store) Silent(ctx context.Context) context.Context {
	return context.WithValue(ctx, redeemKey{s}, true)
}

// Redeem runs fn, which may redeem the user's refresh token, while no other
// process (or Store on the same storage) redeems it, so MSAL reads the
// refresh token the last redemption stored. fn must not wait for a person:
// other processes wait for it.
//
// Within the Store, redemptions run at once: Entra ID's refresh tokens stay
// valid when redeemed. An identity provider that rotates them refuses all
// but the first of a race; a redemption that fails after another stored a
// new refresh token is tried again with it, one at a time, with new
// redemptions queued behind, until the race is over.
//
// When another process's lock can't be had (ctx ends, its holder is stuck,
// or a read-only directory), fn runs anyway after one warning: a redemption
// that may race beats none.
func (s *Store) Redeem(ctx context.Context, fn func(context.Context) error) error {
	ctx = s.Silent(ctx)
	if s.racing.Load() == 0 {
		gen := s.refreshTokens()
		err := s.redeemOnce(ctx, fn)
		if err == nil || ctx.Err() != nil || !s.lostRace(ctx, gen) {
			return err
		}
	}
	s.racing.Add(1)
	defer s.racing.Add(-1)
	var err error
	for range maxRedeemRetries {
		select {
		case s.retrying <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		gen := s.refreshTokens()
		err = s.redeemOnce(ctx, fn)
		<-s.retrying
		if err == nil || ctx.Err() != nil || !s.lostRace(ctx, gen) {
			return err
		}
	}
	return err
}

// maxRedeemRetries bounds the retries of a redemption that keeps losing
// races: each lost one means another caller got a new token.
const maxRedeemRetries = 4

// redeemLockStale bounds the wait for another process's redemption, which
// holds the lock until its write is done: a busy keyring can take seconds,
// and a waiter that went ahead would redeem an already redeemed token (5 s
// was too short for 8 processes on a loaded gnome-keyring). A holder past
// it is stuck; one that dies releases the flock at once.
const redeemLockStale = 30 * time.Second

// redeemOnce runs fn under the redemption lock, let go in the background
// once what fn stored is written (or failed).
func (s *Store) redeemOnce(ctx context.Context, fn func(context.Context) error) error {
	done := make(chan struct{})
	s.mu.Lock()
	s.flying[done] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.flying, done)
		s.mu.Unlock()
		close(done)
	}()
	if s.redeemLock == nil {
		return fn(ctx)
	}
	release, err := s.redeemLock.hold(ctx)
	switch {
	case err == nil:
		defer s.afterWrites(release)
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		s.warnRedeemLock(err)
	}
	return fn(ctx)
}

func (s *Store) refreshTokens() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rtGen
}

// lostRace reports whether a failed redemption may have lost a race: a
// refresh token was stored since the count was gen, by a redemption here
// (it waits for those running, whose answer may come after the loser's) or
// by another process (it reads storage).
func (s *Store) lostRace(ctx context.Context, gen uint64) bool {
	s.mu.Lock()
	others := slices.Collect(maps.Keys(s.flying))
	s.mu.Unlock()
	for _, f := range others {
		select {
		case <-f:
		case <-ctx.Done():
			return false
		}
	}
	for _, p := range s.modes {
		if p.storage != nil {
			_ = p.refresh(ctx, nil, 0)
		}
	}
	return s.refreshTokens() != gen
}

// afterWrites runs f once the writes under way are done (or failed).
func (s *Store) afterWrites(f func()) {
	s.mu.Lock()
	var waits []<-chan struct{}
	for _, p := range s.modes {
		if p.writing {
			waits = append(waits, p.written)
		}
	}
	s.mu.Unlock()
	if len(waits) == 0 {
		f()
		return
	}
	go func() {
		for _, w := range waits {
			<-w
		}
		f()
	}()
}

func (s *Store) warnRedeemLock(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.redeemWarned {
		s.redeemWarned = true
		s.warn(fmt.Sprintf("refreshing tokens without excluding other processes, which may make a refresh fail if another process redeems the same refresh token: %v", err))
	}
}

// RemoveAccount deletes every entry of homeAccountID from both caches, in
// memory and in storage. session is the caller's session after the sign-out:
// calls of earlier sessions can't write them back (see Export). It waits for
// other processes' redemptions, so theirs can't either. When storage can't be
// written, the account is gone from memory all the same (storage is retried
// with later writes), and the error says that storage still holds it.
func (s *Store) RemoveAccount(ctx context.Context, session uint64, homeAccountID string) error {
	var errs []error
	if s.redeemLock != nil {
		release, err := s.redeemLock.hold(ctx)
		if err == nil {
			defer release()
		} else {
			errs = append(errs, fmt.Errorf("another process refreshing tokens at the same time may write the account back: %w", err))
		}
	}
	hid := strings.ToLower(homeAccountID)
	s.mu.Lock()
	s.removed[hid] = max(s.removed[hid], session)
	for _, p := range s.modes {
		p.m.removeAccount(homeAccountID)
		p.gen++ // MSAL holds the account: the next Replace hands it a new view
		if p.storage != nil {
			p.queue(op{removeAccount: homeAccountID})
		}
	}
	s.mu.Unlock()
	// Unlike a token's write, a sign-out's is waited for: its caller must
	// know whether storage still holds the account.
	for _, p := range s.modes {
		if p.storage == nil {
			continue
		}
		if err := p.flush(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// dropRemoved leaves out of changes what belongs to an account signed out
// after c's session. s.mu is held.
func (s *Store) dropRemoved(c *call, changes []change) (kept []change, dropped bool) {
	if c == nil || len(s.removed) == 0 {
		return changes, false
	}
	kept = changes[:0:0]
outer:
	for _, ch := range changes {
		for hid, after := range s.removed {
			if c.session < after && ofAccount(ch.key, ch.value, hid) {
				dropped = true
				continue outer
			}
		}
		kept = append(kept, ch)
	}
	return kept, dropped
}
