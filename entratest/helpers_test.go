package entratest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

const armScope = "https://management.azure.com/.default"

// newServer starts a server that logs to t and closes with the test.
func newServer(t *testing.T, opts *entratest.Options) *entratest.Server {
	t.Helper()
	if opts == nil {
		opts = &entratest.Options{}
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	s := entratest.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// authority is one way of pointing MSAL at the server.
type authority struct {
	name      string
	url       func(s *entratest.Server) string
	discovery bool
}

// authorities covers the emulator's own host, with and without instance discovery (which
// MSAL sends to login.microsoftonline.com), and the public cloud host routed by Client().
var authorities = []authority{
	{"loopback", func(s *entratest.Server) string { return s.URL() + "/organizations" }, false},
	{"loopback+discovery", func(s *entratest.Server) string { return s.URL() + "/" + entratest.DefaultTenantID }, true},
	{"public cloud", func(*entratest.Server) string {
		return "https://login.microsoftonline.com/" + entratest.DefaultTenantID
	}, true},
	{"public cloud by domain", func(*entratest.Server) string {
		return "https://login.microsoftonline.com/" + entratest.DefaultTenantDomain
	}, true},
}

func newClient(t *testing.T, s *entratest.Server, authorityURL string, discovery bool, opts ...public.Option) public.Client {
	t.Helper()
	opts = append([]public.Option{
		public.WithAuthority(authorityURL),
		public.WithHTTPClient(s.Client()),
		public.WithInstanceDiscovery(discovery),
	}, opts...)
	c, err := public.New(entratest.DefaultClientID, opts...)
	require.NoError(t, err)
	return c
}

func loopbackClient(t *testing.T, s *entratest.Server, tenant string, opts ...public.Option) public.Client {
	t.Helper()
	return newClient(t, s, s.URL()+"/"+tenant, false, opts...)
}

// openURL adapts a stand-in browser to MSAL's WithOpenURL.
func openURL(ctx context.Context, browser func(context.Context, string) error) public.AcquireInteractiveOption {
	return public.WithOpenURL(func(u string) error { return browser(ctx, u) })
}

// deviceCodeToken runs the device code flow with ApproveDeviceCode.
func deviceCodeToken(t *testing.T, s *entratest.Server, c public.Client, scopes []string, opts ...public.AcquireByDeviceCodeOption) public.AuthResult {
	t.Helper()
	ctx := t.Context()
	dc, err := c.AcquireTokenByDeviceCode(ctx, scopes, opts...)
	require.NoError(t, err)
	require.NoError(t, s.ApproveDeviceCode(dc.Result.UserCode, entratest.DefaultUsername))
	res, err := dc.AuthenticationResult(ctx)
	require.NoError(t, err)
	return res
}

// entraErrorBody is the JSON of an Entra error response.
type entraErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	Suberror         string `json:"suberror"`
	Claims           string `json:"claims"`
}

// callErrBody extracts the HTTP status and Entra error body from an MSAL error.
func callErrBody(t *testing.T, err error) (int, entraErrorBody) {
	t.Helper()
	var ce msalerrors.CallErr
	require.True(t, errors.As(err, &ce), "not a CallErr: %v", err)
	b, rerr := io.ReadAll(ce.Resp.Body)
	require.NoError(t, rerr)
	if len(b) == 0 {
		// MSAL's device code poller consumed the body; the error text repeats it.
		_, after, _ := strings.Cut(ce.Err.Error(), "\n")
		b = []byte(after)
	}
	var body entraErrorBody
	require.NoError(t, json.Unmarshal(b, &body), "body: %s", b)
	return ce.Resp.StatusCode, body
}

// postForm posts a form with the server's client and decodes the JSON response.
func postForm(t *testing.T, s *entratest.Server, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().PostForm(u, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// getJSON GETs u with the server's client and decodes the JSON response.
func getJSON(t *testing.T, s *entratest.Server, u string) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// requireEntraError checks an Entra-shaped error response.
func requireEntraError(t *testing.T, status int, body map[string]any, wantStatus int, wantError string, wantCode int) {
	t.Helper()
	require.Equal(t, wantStatus, status, "body: %v", body)
	require.Equal(t, wantError, body["error"], "body: %v", body)
	require.Equal(t, []any{float64(wantCode)}, body["error_codes"], "body: %v", body)
	require.Contains(t, body["error_description"], "AADSTS")
	for _, k := range []string{"timestamp", "trace_id", "correlation_id"} {
		require.NotEmpty(t, body[k], k)
	}
}

// countRequests counts logged requests to ep with the grant type ("" for any).
func countRequests(s *entratest.Server, ep entratest.Endpoint, grantType string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Endpoint == ep && (grantType == "" || r.GrantType == grantType) {
			n++
		}
	}
	return n
}

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// hostOf returns the host of a URL.
func hostOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	require.NoError(t, err)
	return p.Host
}

func containsAny(s string, subs []string) (string, bool) {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return sub, true
		}
	}
	return "", false
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func newTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// consumersTenantID is Entra's tenant of personal Microsoft accounts.
const consumersTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"
