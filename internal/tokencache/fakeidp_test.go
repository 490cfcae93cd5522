package tokencache

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/require"
)

const (
	testTenant   = "tid"
	testClientID = "cid"
)

// testScopes are what the tests ask MSAL for.
var testScopes = []string{"https://management.azure.com/.default"}

// fakeIDP is just enough of Entra ID for MSAL's password and refresh-token
// grants. It rotates refresh tokens strictly: only the last one issued to a
// user is redeemable, so a client that loses a rotation fails.
type fakeIDP struct {
	*httptest.Server
	mu     sync.Mutex     // guards issued and gate
	issued map[string]int // user → number of the last refresh token issued
	// padding lengthens access tokens to the size of real ones (a JWT of
	// Entra ID's claims is about 1.4 KB), for benchmarks of memory.
	padding string
	// gate, when set, holds each refresh token redemption: the request is
	// announced on gate.arrived, then waits for gate.release. Guarded by mu.
	gate *gate
}

// hold makes f hold refresh token redemptions at a new gate.
func (f *fakeIDP) hold() *gate {
	g := newGate()
	f.mu.Lock()
	f.gate = g
	f.mu.Unlock()
	return g
}

// gate holds requests until a test lets them through.
type gate struct {
	arrived chan struct{}
	release chan struct{}
}

func newGate() *gate { return &gate{arrived: make(chan struct{}, 16), release: make(chan struct{})} }

func newFakeIDP(t testing.TB) *fakeIDP {
	f := startFakeIDP()
	t.Cleanup(f.Close)
	return f
}

// startFakeIDP starts a fakeIDP for a helper process, which has no T.
func startFakeIDP() *fakeIDP {
	f := &fakeIDP{issued: map[string]int{}}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	return f
}

func (f *fakeIDP) authority() string { return f.URL + "/" + testTenant }

func (f *fakeIDP) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
		fmt.Fprintf(w, `{"authorization_endpoint":%q,"token_endpoint":%q,"issuer":%q}`,
			f.authority()+"/oauth2/v2.0/authorize", f.authority()+"/oauth2/v2.0/token", f.authority()+"/v2.0")
	case strings.HasPrefix(strings.ToLower(r.URL.Path), "/common/userrealm/"):
		fmt.Fprint(w, `{"ver":"1.0","account_type":"Managed","domain_name":"contoso.com","cloud_instance_name":"microsoftonline.com","cloud_audience_urn":"urn:federation:MicrosoftOnline"}`)
	case r.URL.Path == "/"+testTenant+"/oauth2/v2.0/token":
		f.token(w, r)
	default:
		http.Error(w, `{"error":"not_found"}`, http.StatusNotFound)
	}
}

func (f *fakeIDP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	g := f.gate
	f.mu.Unlock()
	if g != nil && r.PostForm.Get("grant_type") == "refresh_token" {
		g.arrived <- struct{}{}
		<-g.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var user string
	switch r.PostForm.Get("grant_type") {
	case "password":
		user = strings.TrimSuffix(r.PostForm.Get("username"), "@contoso.com")
		f.issued[user] = 0
	case "refresh_token":
		// Refresh tokens read "rt-<user>-<n>".
		parts := strings.Split(r.PostForm.Get("refresh_token"), "-")
		n, err := strconv.Atoi(parts[len(parts)-1])
		user = strings.Join(parts[1:len(parts)-1], "-")
		if len(parts) < 3 || err != nil || f.issued[user] != n {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"AADSTS70000: refresh token already rotated"}`)
			return
		}
		f.issued[user]++
	default:
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	n := f.issued[user]
	uid := "uid-" + user
	scope := grantedScopes(r.PostForm.Get("scope"))
	now := time.Now().Unix()
	idToken := "eyJhbGciOiJub25lIn0." + b64(fmt.Sprintf(
		`{"iss":%q,"aud":%q,"tid":%q,"oid":%q,"sub":%q,"preferred_username":%q,"exp":%d,"iat":%d,"nbf":%d,"ver":"2.0"}`,
		f.authority()+"/v2.0", testClientID, testTenant, uid, uid, user+"@contoso.com", now+3600, now, now)) + "."
	body, _ := json.Marshal(map[string]any{
		"token_type":    "Bearer",
		"scope":         scope,
		"expires_in":    3600,
		"access_token":  fmt.Sprintf("at-%s-%d", user, n) + f.padding,
		"refresh_token": fmt.Sprintf("rt-%s-%d", user, n),
		"id_token":      idToken,
		"client_info":   b64(fmt.Sprintf(`{"uid":%q,"utid":%q}`, uid, testTenant)),
	})
	w.Write(body)
}

// grantedScopes is the scope of a token response: what was asked for, less
// the OpenID Connect scopes MSAL adds, as Entra ID answers.
func grantedScopes(requested string) string {
	var out []string
	for _, s := range strings.Fields(requested) {
		switch s {
		case "openid", "profile", "offline_access":
		default:
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return strings.Join(testScopes, " ")
	}
	return strings.Join(out, " ")
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// newMSALClient returns a real MSAL public client over c. With idp nil, any
// network call fails the test's assertion, because the authority is
// unreachable.
func newMSALClient(t testing.TB, c cache.ExportReplace, idp *fakeIDP) public.Client {
	t.Helper()
	authority := "https://login.microsoftonline.com/" + testTenant
	opts := []public.Option{public.WithCache(c), public.WithInstanceDiscovery(false)}
	if idp != nil {
		authority = idp.authority()
		opts = append(opts, public.WithHTTPClient(idp.Client()))
	} else {
		opts = append(opts, public.WithHTTPClient(&http.Client{Transport: noNetwork{t}}))
	}
	client, err := public.New(testClientID, append(opts, public.WithAuthority(authority))...)
	require.NoError(t, err)
	return client
}

// noNetwork fails any request: the tests that use it expect MSAL to answer
// from the cache.
type noNetwork struct{ t testing.TB }

func (n noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.t.Errorf("unexpected request to %s", r.URL)
	return nil, fmt.Errorf("no network in this test")
}
