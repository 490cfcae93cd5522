package azinteractive

import (
	"bytes"
	"cmp"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// expiryMargin matches MSAL's: a token this close to expiry isn't served.
const expiryMargin = 5 * time.Minute

// indexKey selects a token: the request's only scope, or its sorted scopes
// joined by spaces; tenant "" is the credential's own.
type indexKey struct {
	tenant string
	scope  string
	cae    bool
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

// indexEntry is a token served without asking the backend until serveUntil:
// Unix nanoseconds on the wall clock, which keeps counting while a laptop
// sleeps (Go's monotonic clock doesn't); zero never serves.
type indexEntry struct {
	token      azcore.AccessToken
	tokenType  string
	account    *AuthenticationRecord
	serveUntil int64
}

// newIndexEntry serves a token until its refresh-on time and never within
// MSAL's expiry margin, so azcore's BearerTokenPolicy, which refreshes at the
// same moments, reaches the backend exactly when a refresh is due.
func newIndexEntry(res tokenResult, rec *AuthenticationRecord, now time.Time) *indexEntry {
	e := &indexEntry{
		token:     azcore.AccessToken{Token: res.Token, ExpiresOn: res.ExpiresOn, RefreshOn: res.RefreshOn},
		tokenType: cmp.Or(res.TokenType, "Bearer"),
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

// tokenIndex holds the warm tokens of one session, and is dropped with it.
type tokenIndex struct {
	mu sync.RWMutex // guards m and sweepAt
	m  map[indexKey]*indexEntry
	// sweepAt is the size at which a new key first drops expired entries;
	// doubling it keeps a new key's cost flat.
	sweepAt int
}

func newTokenIndex() *tokenIndex { return &tokenIndex{m: map[indexKey]*indexEntry{}} }

// get returns k's token if it may be served at now (Unix nanoseconds).
func (ix *tokenIndex) get(k indexKey, now int64) (*indexEntry, bool) {
	ix.mu.RLock()
	e := ix.m[k]
	ix.mu.RUnlock()
	if e == nil || now >= e.serveUntil {
		return nil, false
	}
	return e, true
}

func (ix *tokenIndex) put(k indexKey, e *indexEntry, now int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.m[k]; !ok && len(ix.m) >= ix.sweepAt {
		for key, old := range ix.m {
			if now >= old.serveUntil {
				delete(ix.m, key)
			}
		}
		ix.sweepAt = max(2*len(ix.m), 16)
	}
	ix.m[k] = e
}

// TokenInfo is an access token with everything known about it, as returned by
// a credential's GetTokenInfo method (azure-identity's get_token_info). fmt,
// log/slog, encoding/json and encoding/gob all show "<redacted>" for its
// token: read the Token field to use it.
type TokenInfo struct {
	// Token is the access token. Treat it as a secret.
	Token string
	// ExpiresOn is when the token expires.
	ExpiresOn time.Time
	// RefreshOn is when the service suggests refreshing the token, if it did.
	RefreshOn time.Time
	// TokenType is the token's type, such as "Bearer".
	TokenType string
	// Account is the user the token belongs to.
	Account AuthenticationRecord
}

// String describes t without its token.
func (t TokenInfo) String() string {
	return fmt.Sprintf("TokenInfo{Token: <redacted>, ExpiresOn: %s, RefreshOn: %s, TokenType: %q, Account: %q}",
		t.ExpiresOn.Format(time.RFC3339), t.RefreshOn.Format(time.RFC3339), t.TokenType, t.Account.Username)
}

// GoString describes t without its token, for %#v.
func (t TokenInfo) GoString() string { return "azinteractive." + t.String() }

// Format keeps the token out of every fmt verb.
func (t TokenInfo) Format(f fmt.State, verb rune) {
	s := t.String()
	if verb == 'v' && f.Flag('#') {
		s = t.GoString()
	}
	_, _ = fmt.Fprint(f, s)
}

const redactedToken = "<redacted>"

// tokenInfoFields is a TokenInfo without methods, for its encodings.
type tokenInfoFields TokenInfo

func (t TokenInfo) redacted() tokenInfoFields {
	r := tokenInfoFields(t)
	r.Token = redactedToken
	return r
}

// MarshalJSON encodes t without its token.
func (t TokenInfo) MarshalJSON() ([]byte, error) { return json.Marshal(t.redacted()) }

// LogValue describes t to log/slog without its token.
func (t TokenInfo) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("Token", redactedToken),
		slog.Time("ExpiresOn", t.ExpiresOn),
		slog.Time("RefreshOn", t.RefreshOn),
		slog.String("TokenType", t.TokenType),
		slog.String("Account", t.Account.Username),
	)
}

// GobEncode encodes t without its token.
func (t TokenInfo) GobEncode() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(t.redacted())
	return b.Bytes(), err
}

// GobDecode decodes what GobEncode wrote: a TokenInfo without its token.
func (t *TokenInfo) GobDecode(b []byte) error {
	var f tokenInfoFields
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&f); err != nil {
		return err
	}
	*t = TokenInfo(f)
	return nil
}
