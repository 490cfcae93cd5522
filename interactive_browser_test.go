package azinteractive

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func browserOptions(srv *entratest.Server) InteractiveBrowserCredentialOptions {
	return InteractiveBrowserCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()}}
}

var testScope = []string{"https://management.azure.com/.default"}

// TestBrowserHeadlessPrintsURLAndWaits: with no display and
// PrintURLIfNoBrowser, the URL goes to stderr and the credential keeps
// waiting for whoever opens it.
func TestBrowserHeadlessPrintsURLAndWaits(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	pr, pw := io.Pipe()
	o := browserOptions(srv)
	o.PrintURLIfNoBrowser = true
	cred, err := newInteractiveBrowserCredential(&o, host{stderr: pw, goos: "linux", getenv: func(k string) string {
		if k == "SSH_CONNECTION" {
			return "10.0.0.1 50000 10.0.0.2 22"
		}
		return ""
	}})
	require.NoError(t, err)

	// The "person" reads the printed URL and opens it elsewhere.
	browser := srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
	var printed atomic.Value
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "waiting up to 5m (Ctrl-C to cancel)") {
				printed.Store("notice")
			}
			if strings.HasPrefix(line, "https://") {
				if printed.Load() == nil {
					return // the notice comes first
				}
				printed.Store(line)
				_ = browser(context.Background(), line)
				return
			}
		}
	}()
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: testScope})
	require.NoError(t, err)
	_ = pw.Close()
	u, _ := printed.Load().(string)
	require.NotEmpty(t, u)
	q := mustQuery(t, u)
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Equal(t, "form_post", q.Get("response_mode"))
	assert.NotEmpty(t, q.Get("state"))
}

// TestBrowserFailsFastWithoutBrowser: by default, as azidentity's and
// Python's, a credential that can't open a browser fails at once with
// CredentialUnavailableError, so that a chain moves on.
func TestBrowserFailsFastWithoutBrowser(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		opener func(context.Context, string) error
		why    string
	}{
		{name: "no display", env: map[string]string{}, why: "neither DISPLAY nor WAYLAND_DISPLAY is set"},
		{name: "ssh session", env: map[string]string{"DISPLAY": "", "SSH_TTY": "/dev/pts/0"}, why: "this is an SSH session without a forwarded display"},
		{name: "opener fails", env: map[string]string{"DISPLAY": ":0"}, opener: func(context.Context, string) error { return errors.New("xdg-open: no method available") }, why: "opening one failed: xdg-open: no method available"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := entratest.NewServer(nil)
			defer srv.Close()
			var stderr strings.Builder
			o := browserOptions(srv)
			o.OpenURL = tc.opener
			cred, err := newInteractiveBrowserCredential(&o, host{stderr: &stderr, goos: "linux", getenv: func(k string) string { return tc.env[k] }})
			require.NoError(t, err)
			_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: testScope})
			var unavailable *CredentialUnavailableError
			require.ErrorAs(t, err, &unavailable)
			msg := err.Error()
			assert.Contains(t, msg, "InteractiveBrowserCredential: can't open a browser: "+tc.why)
			lines := strings.Split(msg, "\n")
			assert.Contains(t, lines[len(lines)-1], "Use DeviceCodeCredential here, or forward the redirect port", "the hint is the last line")
			var failed *AuthenticationFailedError
			assert.False(t, errors.As(err, &failed), "unavailable, not failed: a chain moves on")
			assert.Empty(t, stderr.String(), "nothing printed: the error says it all")
			assert.Zero(t, countEndpoint(srv, entratest.EndpointToken))
		})
	}
}

// TestBrowserSaysItOpenedOne: with the system's opener (here $BROWSER, a
// command that succeeds and opens nothing), the credential says on stderr that
// a browser was opened and how long it waits.
func TestBrowserSaysItOpenedOne(t *testing.T) {
	if runtime.GOOS == "windows" {
		// Windows' opener ignores $BROWSER, a Unix convention, and would open
		// the desktop's browser (under .ci/wine/run, a recorder).
		t.Skip("$BROWSER, the opener that opens nothing here, is a Unix convention; on Windows this would open your browser")
	}
	srv := entratest.NewServer(nil)
	defer srv.Close()
	t.Setenv("BROWSER", "true")
	var stderr syncBuffer
	o := browserOptions(srv)
	o.Timeout = 90 * time.Second
	cred, err := newInteractiveBrowserCredential(&o, host{stderr: &stderr, goos: "linux", getenv: func(k string) string { return map[string]string{"BROWSER": "true", "DISPLAY": ":0"}[k] }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: testScope})
		done <- err
	}()
	require.Eventually(t, func() bool { return stderr.String() != "" }, 10*time.Second, 5*time.Millisecond)
	cancel()
	err = <-done
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "Opened a browser to sign in; waiting up to 1m30s (Ctrl-C to cancel)\n", stderr.String())
}

func countEndpoint(srv *entratest.Server, ep entratest.Endpoint) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == ep {
			n++
		}
	}
	return n
}

// TestBrowserStrayRequestsDontAbort: a favicon fetch, a prefetch and a forged
// POST reach the redirect server before the real response; the sign-in still
// succeeds (MSAL's own server aborts on the first of them).
func TestBrowserStrayRequestsDontAbort(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	browser := srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
	o := browserOptions(srv)
	o.OpenURL = func(ctx context.Context, u string) error {
		redirect := mustQuery(t, u).Get("redirect_uri")
		hc := &http.Client{}
		for _, req := range []func() (*http.Response, error){
			func() (*http.Response, error) { return hc.Get(redirect + "/favicon.ico") },
			func() (*http.Response, error) { return hc.Get(redirect) },
			func() (*http.Response, error) {
				return hc.PostForm(redirect, url.Values{"code": {"forged"}, "state": {"wrong"}})
			},
			func() (*http.Response, error) {
				return hc.PostForm(redirect, url.Values{"error": {"access_denied"}, "state": {"wrong"}})
			},
		} {
			res, err := req()
			require.NoError(t, err)
			_ = res.Body.Close()
			assert.GreaterOrEqual(t, res.StatusCode, 400, "stray requests are refused")
		}
		return browser(ctx, u)
	}
	cred, err := NewInteractiveBrowserCredential(&o)
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: testScope})
	require.NoError(t, err)
}

func TestBrowserAuthorizeURLOptions(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	port := freePort(t)
	var seen string
	o := browserOptions(srv)
	o.LoginHint = entratest.DefaultUsername
	o.DomainHint = "contoso.com"
	o.Prompt = "login"
	o.RedirectURL = "http://127.0.0.1:" + strconv.Itoa(port) + "/auth/callback"
	srv.AddApp(entratest.App{ClientID: "11111111-2222-3333-4444-555555555555", RedirectURIs: []string{"http://127.0.0.1/auth/callback"}, PublicClient: true, ConsentGranted: true})
	o.ClientID = "11111111-2222-3333-4444-555555555555"
	browser := srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
	o.OpenURL = func(ctx context.Context, u string) error {
		seen = u
		return browser(ctx, u)
	}
	cred, err := NewInteractiveBrowserCredential(&o)
	require.NoError(t, err)
	_, err = cred.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	q := mustQuery(t, seen)
	assert.Equal(t, entratest.DefaultUsername, q.Get("login_hint"))
	assert.Equal(t, "contoso.com", q.Get("domain_hint"))
	assert.Equal(t, "login", q.Get("prompt"))
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/auth/callback", q.Get("redirect_uri"), "host, port and path honoured")
	for _, s := range []string{"openid", "offline_access", "profile"} {
		assert.Contains(t, strings.Fields(q.Get("scope")), s)
	}
}

func TestBrowserOptionsRejected(t *testing.T) {
	for _, o := range []InteractiveBrowserCredentialOptions{
		{RedirectURL: "https://localhost:8400"},
		{RedirectURL: "http://example.com:8400"},
		{RedirectURL: "http://user@localhost:8400"},
		{Prompt: "maybe"},
	} {
		_, err := NewInteractiveBrowserCredential(&o)
		require.Error(t, err, "%+v", o)
		assert.True(t, strings.HasPrefix(err.Error(), credNameBrowser+": "), err.Error())
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
