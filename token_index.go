package azinteractive

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// expiryMargin matches MSAL's: a token this close to expiry isn't served.
const expiryMargin = 5 * time.Minute

// indexKey selects a token. Scope holds the request's only scope, or its
// sorted scopes joined by spaces, so the common one-scope lookup builds no
// string.
type indexKey struct {
	tenant string
	scope  string
	cae    bool
}

// indexEntry is a token that may be served without asking the backend while
// the wall clock reads before serveUntil.
type indexEntry struct {
	token     azcore.AccessToken // ready to return, so the warm path copies and builds nothing
	tokenType string
	account   *AuthenticationRecord
	// serveUntil is Unix nanoseconds on the wall clock. Expiry is wall time:
	// Go's monotonic clock stops while a laptop sleeps, and a token expires
	// while it does.
	serveUntil int64
}

// slot holds the current entry of one key. Refreshing a key's token stores
// into its slot, so only a new key copies the index.
type slot struct{ e atomic.Pointer[indexEntry] }

// tokenIndex is a map of warm tokens that readers use without locking. Its
// maps never change once published; the entries in their slots do. The
// credential's tenant is the common case and gets tables keyed by scope
// alone (indexed by CAE), so the warm path compares or hashes one string.
type tokenIndex struct {
	home  [2]scopeTable      // the credential's tenant, by cae, by scope key
	other map[indexKey]*slot // other tenants
}

var emptyIndex = &tokenIndex{}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func keyOf(r tokenRequest) indexKey {
	k := indexKey{tenant: r.TenantID, cae: r.EnableCAE}
	if len(r.Scopes) == 1 {
		k.scope = r.Scopes[0]
	} else {
		s := slices.Clone(r.Scopes)
		slices.Sort(s)
		k.scope = strings.Join(slices.Compact(s), " ")
	}
	return k
}

// find returns k's slot, or nil.
func (ix *tokenIndex) find(k indexKey) *slot {
	if k.tenant == "" {
		return ix.home[b2i(k.cae)].get(k.scope)
	}
	return ix.other[k]
}

// lookup returns a token for r that may be served at now (Unix nanoseconds).
func (ix *tokenIndex) lookup(r tokenRequest, now int64) (*indexEntry, bool) {
	if ix.home[0].empty() && ix.home[1].empty() && ix.other == nil {
		return nil, false
	}
	return ix.find(keyOf(r)).serving(now)
}

// serving returns s's entry if it may be served at now. s may be nil.
func (s *slot) serving(now int64) (*indexEntry, bool) {
	if s == nil {
		return nil, false
	}
	e := s.e.Load()
	if e == nil || now >= e.serveUntil {
		return nil, false
	}
	return e, true
}

// with returns a copy of ix with a new slot for k holding e, dropping the
// slots whose tokens expired before now. Only the map k belongs in is copied.
func (ix *tokenIndex) with(k indexKey, e *indexEntry, now int64) *tokenIndex {
	out := *ix
	s := &slot{}
	s.e.Store(e)
	if k.tenant == "" {
		i := b2i(k.cae)
		out.home[i] = ix.home[i].with(k.scope, s, now)
	} else {
		out.other = withSlot(ix.other, k, s, now)
	}
	return &out
}

func withSlot(m map[indexKey]*slot, k indexKey, s *slot, now int64) map[indexKey]*slot {
	out := make(map[indexKey]*slot, len(m)+1)
	for key, v := range m {
		if e := v.e.Load(); e != nil && now < e.serveUntil {
			out[key] = v
		}
	}
	out[k] = s
	return out
}

// newIndexEntry describes a token from a backend. It is served from the index
// until the service's refresh-on time, and never within MSAL's expiry margin,
// so azcore's BearerTokenPolicy, which refreshes at the same moments, reaches
// the backend exactly when a refresh is due. A zero serveUntil never serves.
func newIndexEntry(res tokenResult, rec *AuthenticationRecord, now time.Time) *indexEntry {
	tt := res.TokenType
	if tt == "" {
		tt = "Bearer"
	}
	e := &indexEntry{
		token:     azcore.AccessToken{Token: res.Token, ExpiresOn: res.ExpiresOn, RefreshOn: res.RefreshOn},
		tokenType: tt,
		account:   rec,
	}
	until := res.ExpiresOn.Add(-expiryMargin)
	if !res.RefreshOn.IsZero() && res.RefreshOn.Before(until) {
		until = res.RefreshOn
	}
	if until.After(now) {
		e.serveUntil = until.UnixNano()
	}
	return e
}

func (r tokenRequest) flightKey() string {
	k := keyOf(r)
	cae := "0"
	if k.cae {
		cae = "1"
	}
	return k.tenant + "\x00" + k.scope + "\x00" + cae + "\x00" + r.Claims
}
