package azinteractive

import (
	"slices"
	"strings"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
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

// indexEntry is a token that may be served without asking MSAL until
// serveUntil.
type indexEntry struct {
	token, tokenType     string
	expiresOn, refreshOn time.Time
	// serveUntil is a reading of the monotonic clock (see monoNow); zero
	// means never.
	serveUntil mono
	account    *AuthenticationRecord
}

// mono is time on the monotonic clock since the process's epoch. The warm
// path reads one clock, not time.Now's two (wall and monotonic).
type mono int64

var epoch = time.Now()

func monoNow() mono { return mono(time.Since(epoch)) }

func monoAt(t time.Time) mono { return mono(t.Sub(epoch)) }

// tokenIndex is an immutable map of warm tokens: readers need no lock, and a
// writer publishes a modified copy.
type tokenIndex struct {
	m map[indexKey]indexEntry
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

// lookup returns a token for r that is good at now.
func (ix *tokenIndex) lookup(r tokenRequest, now mono) (indexEntry, bool) {
	if len(ix.m) == 0 {
		return indexEntry{}, false
	}
	e, ok := ix.m[keyOf(r)]
	if !ok || now >= e.serveUntil {
		return indexEntry{}, false
	}
	return e, true
}

// with returns a copy of ix holding e for r, without the entries that expired.
func (ix *tokenIndex) with(r tokenRequest, e indexEntry) *tokenIndex {
	now := monoNow()
	m := make(map[indexKey]indexEntry, len(ix.m)+1)
	for k, v := range ix.m {
		if now < v.serveUntil {
			m[k] = v
		}
	}
	m[keyOf(r)] = e
	return &tokenIndex{m: m}
}

// newIndexEntry describes a token from MSAL. It is served from the index
// until the service's refresh-on time, and never within MSAL's expiry margin,
// so azcore's BearerTokenPolicy, which refreshes at the same moments, reaches
// MSAL exactly when a refresh is due.
func newIndexEntry(ar public.AuthResult, rec *AuthenticationRecord) indexEntry {
	e := indexEntry{
		token:     ar.AccessToken,
		tokenType: "Bearer",
		expiresOn: ar.ExpiresOn.UTC(),
		refreshOn: ar.Metadata.RefreshOn.UTC(),
		account:   rec,
	}
	if ar.Metadata.RefreshOn.IsZero() {
		e.refreshOn = time.Time{}
	}
	until := ar.ExpiresOn.Add(-expiryMargin)
	if !e.refreshOn.IsZero() && e.refreshOn.Before(until) {
		until = e.refreshOn
	}
	if until.After(time.Now()) {
		e.serveUntil = monoAt(until)
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
