package tokencache

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests pin the view (view.go, match.go) to MSAL itself: for each
// access token and request, real MSAL given the whole cache and real MSAL
// given the Store's view must answer alike. If MSAL's matching rules change
// in a new version, they fail.

// bytesCache hands MSAL fixed bytes: the whole cache, as MSAL's own
// persistence would.
type bytesCache []byte

func (b bytesCache) Replace(_ context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	return u.Unmarshal(b)
}

func (bytesCache) Export(context.Context, cache.Marshaler, cache.ExportHints) error { return nil }

// cacheWithToken is alice's cache (see fakeMSAL.signIn) whose one access
// token is entry under key, as JSON.
func cacheWithToken(t testing.TB, key string, entry map[string]any) []byte {
	m := &fakeMSAL{}
	m.signIn("alice", "rt-1", "unused")
	m.data[sectionAccessToken] = map[string]any{key: entry}
	b, err := m.Marshal()
	require.NoError(t, err)
	return b
}

// tokenEntry is a valid access token of alice's with target.
func tokenEntry(target string) map[string]any {
	return map[string]any{
		"home_account_id": "uid-alice.tid", "environment": "login.microsoftonline.com", "credential_type": "AccessToken",
		"client_id": "cid", "realm": "tid", "target": target, "secret": "the-token",
		"cached_at": "1700000000", "expires_on": "4102444800", "extended_expires_on": "4102444800",
	}
}

// silentlyFrom runs a silent MSAL call for scopes over c and returns the
// access token MSAL found in the cache, or "" (a miss, which here would
// need the network).
func silentlyFrom(t testing.TB, c cache.ExportReplace, ctx context.Context, scopes []string) string {
	t.Helper()
	client, err := public.New(testClientID, public.WithCache(c), public.WithInstanceDiscovery(false),
		public.WithAuthority("https://login.microsoftonline.com/"+testTenant),
		public.WithHTTPClient(&http.Client{Transport: refuseAll{}}))
	require.NoError(t, err)
	account := public.Account{HomeAccountID: "uid-alice.tid", Environment: "login.microsoftonline.com", Realm: testTenant}
	ar, err := client.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(account))
	if err != nil {
		return ""
	}
	return ar.AccessToken
}

// refuseAll fails every request: a cache miss then fails the call.
type refuseAll struct{}

func (refuseAll) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errNoNetwork
}

var errNoNetwork = errors.New("no network in this test")

// viewAgreesWithMSAL checks that MSAL given the Store's view of a cache finds
// the token it finds in the whole cache, and returns what it found.
func viewAgreesWithMSAL(t testing.TB, whole []byte, scopes []string) string {
	t.Helper()
	want := silentlyFrom(t, bytesCache(whole), context.Background(), scopes)

	s := openStore(t, over(&memory{data: whole}), nil)
	got := silentlyFrom(t, s.Mode(false), s.Begin(context.Background(), 0, scopes), scopes)
	assert.Equal(t, want, got, "scopes %q in %s", scopes, whole)
	return want
}

func TestViewsHoldWhatMSALWouldMatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target string
		scopes []string
		match  bool // what MSAL does, checked too, so that the cases test something
	}{
		{"same scope", "https://management.azure.com/.default", []string{"https://management.azure.com/.default"}, true},
		{"case differs", "https://Management.Azure.com/.default", []string{"https://management.azure.COM/.default"}, true},
		{"one of several", "User.Read Mail.Read offline_access", []string{"mail.read"}, true},
		{"both, reversed", "a b", []string{"b", "a"}, true},
		{"one missing", "a b", []string{"a", "c"}, false},
		{"other scope", "a", []string{"b"}, false},
		{"prefix is no match", "https://graph.microsoft.com/.default", []string{"https://graph.microsoft.com"}, false},
		{"repeated part", "a a", []string{"a"}, false},
		{"repeated part counts twice", "a a", []string{"a", "b"}, true},
		{"repeated scope", "a", []string{"a", "a"}, true},
		{"double space", "a  b", []string{"a", "b"}, true},
		{"empty part", "a  b", []string{"a", ""}, true},
		{"Kelvin sign", "\u212Aey", []string{"key"}, true},
		{"long s", "\u017Fcope", []string{"SCOPE"}, true},
		{"Greek sigma", "\u03a3\u03bf\u03c6", []string{"\u03c3\u039f\u03a6"}, true},
		{"final sigma", "\u03c2", []string{"\u03a3"}, true},
		{"dotless i isn't i", "\u0131", []string{"i"}, false},
		{"replacement character", "\ufffd", []string{"\xff"}, true},
		{"two invalid bytes", "x\ufffd", []string{"X\xfe"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := cacheWithToken(t, "k1", tokenEntry(tc.target))
			got := viewAgreesWithMSAL(t, whole, tc.scopes)
			assert.Equal(t, tc.match, got == "the-token", "MSAL itself")
		})
	}
}

func TestViewsReadTheTargetAsMSALDoes(t *testing.T) {
	base := tokenEntry("")
	delete(base, "target")
	with := func(members string) []byte {
		b, err := json.Marshal(base)
		require.NoError(t, err)
		raw := strings.TrimSuffix(string(b), "}") + "," + members + "}"
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(raw), &m)) // valid JSON
		return []byte(strings.Replace(string(cacheWithToken(t, "k1", map[string]any{})), `"k1":{}`, `"k1":`+raw, 1))
	}
	for _, tc := range []struct {
		name    string
		members string
		scopes  []string
		match   bool
	}{
		{"Scopes, MSAL's field name", `"Scopes":"a"`, []string{"a"}, true},
		{"last of two wins", `"target":"a","Scopes":"b"`, []string{"b"}, true},
		{"last of two wins, not the first", `"target":"a","Scopes":"b"`, []string{"a"}, false},
		{"null keeps the one before", `"target":"a","target":null`, []string{"a"}, true},
		{"escaped name", `"t\u0061rget":"a"`, []string{"a"}, true},
		{"escaped value", `"target":"\u0061 b"`, []string{"a"}, true},
		{"other case of the name isn't it", `"TARGET":"a"`, []string{"a"}, false},
		{"nested target isn't it", `"x":{"target":"a"}`, []string{"a"}, false},
		{"no target matches no scope", `"y":1`, []string{"a"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := viewAgreesWithMSAL(t, with(tc.members), tc.scopes)
			assert.Equal(t, tc.match, got == "the-token", "MSAL itself")
		})
	}
}

func TestViewHoldsOnlyWhatTheCallCanUse(t *testing.T) {
	m := &fakeMSAL{}
	m.signIn("alice", "rt-1", "unused")
	m.data[sectionAccessToken] = map[string]any{}
	for _, target := range []string{"a", "b", "a c", "d"} {
		m.put(sectionAccessToken, "k-"+target, tokenEntry(target))
	}
	whole, err := m.Marshal()
	require.NoError(t, err)
	s := openStore(t, over(&memory{data: whole}), nil)

	got := &fakeMSAL{}
	require.NoError(t, s.Mode(false).Replace(s.Begin(t.Context(), 0, []string{"A"}), got, cache.ReplaceHints{}))
	assert.ElementsMatch(t, []string{"k-a", "k-a c"}, keys(got.data[sectionAccessToken]))
	for _, section := range []string{sectionAccount, sectionRefreshToken} {
		assert.Equal(t, m.data[section], got.data[section], "shared sections are whole")
	}

	// Without Begin, MSAL gets everything.
	all := &fakeMSAL{}
	require.NoError(t, s.Mode(false).Replace(t.Context(), all, cache.ReplaceHints{}))
	assert.Len(t, all.data[sectionAccessToken], 4)
}

func TestViewsAreSticky(t *testing.T) {
	m := &fakeMSAL{}
	m.signIn("alice", "rt-1", "unused")
	m.data[sectionAccessToken] = map[string]any{}
	for _, target := range []string{"a", "b", "c"} {
		m.put(sectionAccessToken, "k-"+target, tokenEntry(target))
	}
	whole, err := m.Marshal()
	require.NoError(t, err)
	s := openStore(t, over(&memory{data: whole}), nil)
	mode := s.Mode(false)
	u := &countingUnmarshaler{}
	replace := func(scopes ...string) {
		t.Helper()
		require.NoError(t, mode.Replace(s.Begin(t.Context(), 0, scopes), u, cache.ReplaceHints{}))
	}

	replace("a")
	replace("a")
	replace("A")
	assert.Equal(t, 1, u.calls, "MSAL holds the view already")
	replace("b")
	assert.Equal(t, 2, u.calls)
	assert.Equal(t, []string{"k-b"}, keys(u.last.data[sectionAccessToken]), "a view holds no more than the call can use")
	replace("a")
	assert.Equal(t, 3, u.calls)

	// A change MSAL didn't make (another mode's sign-in) makes a new view.
	other := &fakeMSAL{}
	roundTrip(t, s.Mode(true), other, func() { other.signIn("bob", "rt-b", "at-b") })
	replace("a")
	assert.Equal(t, 4, u.calls)
	assert.Equal(t, "rt-b", u.last.secret(sectionRefreshToken, "bob"))
}

// countingUnmarshaler counts MSAL's loads.
type countingUnmarshaler struct {
	calls int
	last  fakeMSAL
}

func (c *countingUnmarshaler) Unmarshal(b []byte) error {
	c.calls++
	return c.last.Unmarshal(b)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// FuzzViewNeverHidesAToken: for any target and requested scopes, MSAL finds
// the same token in the Store's view as in the whole cache.
func FuzzViewNeverHidesAToken(f *testing.F) {
	f.Add("https://management.azure.com/.default", "https://MANAGEMENT.azure.com/.default")
	f.Add("a a", "a\nb")
	f.Add("\u212Aey \u017F", "KEY\ns")
	f.Add("x  y", "\ny")
	f.Fuzz(func(t *testing.T, target, scopeLines string) {
		scopes := strings.Split(scopeLines, "\n")
		if len(scopes) > 8 {
			scopes = scopes[:8]
		}
		viewAgreesWithMSAL(t, cacheWithToken(t, "k1", tokenEntry(target)), scopes)
	})
}
