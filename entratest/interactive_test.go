package entratest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

// TestInteractive runs MSAL's AcquireTokenInteractive, whose own loopback server receives
// the form_post at http://localhost:PORT, then a silent request that the cache answers.
func TestInteractive(t *testing.T) {
	for _, a := range authorities {
		t.Run(a.name, func(t *testing.T) {
			s := newServer(t, nil)
			c := newClient(t, s, a.url(s), a.discovery)
			ctx := t.Context()
			res, err := c.AcquireTokenInteractive(ctx, []string{armScope},
				openURL(ctx, s.Browser(entratest.DefaultUsername, entratest.DefaultPassword)))
			require.NoError(t, err)
			assert.Equal(t, entratest.DefaultUserObjectID+"."+entratest.DefaultTenantID, res.Account.HomeAccountID)
			assert.Equal(t, "Alice Smith", res.IDToken.Name)

			authz := firstRequest(t, s, entratest.EndpointAuthorize)
			assert.Equal(t, "form_post", authz.Form.Get("response_mode"))
			assert.Equal(t, "S256", authz.Form.Get("code_challenge_method"))
			assert.Equal(t, "select_account", authz.Form.Get("prompt"))
			tokenReq := lastTokenRequest(t, s)
			assert.Equal(t, "authorization_code", tokenReq.GrantType)
			assert.True(t, strings.HasPrefix(tokenReq.Form.Get("redirect_uri"), "http://localhost:"))

			before := countRequests(s, entratest.EndpointToken, "")
			silent, err := c.AcquireTokenSilent(ctx, []string{armScope}, public.WithSilentAccount(res.Account))
			require.NoError(t, err)
			assert.Equal(t, res.AccessToken, silent.AccessToken)
			assert.Equal(t, before, countRequests(s, entratest.EndpointToken, ""), "a cache hit sends nothing")
		})
	}
}

func firstRequest(t *testing.T, s *entratest.Server, ep entratest.Endpoint) entratest.Request {
	t.Helper()
	for _, r := range s.Requests() {
		if r.Endpoint == ep {
			return r
		}
	}
	t.Fatalf("no %s request", ep)
	return entratest.Request{}
}

// TestInteractiveMFAAndConsent signs in a user who needs a second factor to an app without
// admin consent: the stand-in browser passes the MFA and consent pages.
func TestInteractiveMFAAndConsent(t *testing.T) {
	s := newServer(t, nil)
	const appID = "55555555-0000-4000-8000-000000000001"
	s.AddApp(entratest.App{ClientID: appID, PublicClient: true, RedirectURIs: []string{"http://localhost"}, Name: "Tool"})
	s.AddUser(entratest.User{Username: "mfa@contoso.com", Password: "pw-mfa-user", MFARequired: true})
	c, err := public.New(appID, public.WithAuthority(s.URL()+"/organizations"), public.WithHTTPClient(s.Client()))
	require.NoError(t, err)
	ctx := t.Context()
	res, err := c.AcquireTokenInteractive(ctx, []string{"User.Read"},
		openURL(ctx, s.Browser("mfa@contoso.com", "pw-mfa-user")), public.WithLoginHint("mfa@contoso.com"))
	require.NoError(t, err)
	claims, err := s.VerifyAccessToken(res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []any{"pwd", "mfa"}, claims["amr"])
	assert.Equal(t, "00000003-0000-0000-c000-000000000000", claims["aud"], "unqualified scopes are Microsoft Graph's")
	assert.Equal(t, "User.Read", claims["scp"])
	assert.Equal(t, 1, countConsentPages(s))
}

func TestInteractiveCancel(t *testing.T) {
	s := newServer(t, nil)
	c := loopbackClient(t, s, "organizations")
	ctx := t.Context()
	_, err := c.AcquireTokenInteractive(ctx, []string{armScope}, openURL(ctx, s.CancelBrowser()))
	require.ErrorContains(t, err, "AADSTS65004: User declined to consent to access the app.")
	assert.Empty(t, s.BrowserErrors())
	assert.Zero(t, countRequests(s, entratest.EndpointToken, ""))
}

func TestInteractiveWrongPassword(t *testing.T) {
	s := newServer(t, nil)
	c := loopbackClient(t, s, "organizations")
	ctx := t.Context()
	_, err := c.AcquireTokenInteractive(ctx, []string{armScope},
		openURL(ctx, s.Browser(entratest.DefaultUsername, "wrong-password-123")))
	require.ErrorContains(t, err, "AADSTS50126")
	require.NotContains(t, err.Error(), "wrong-password-123")
	require.Len(t, s.BrowserErrors(), 1)
	assert.Contains(t, s.Secrets(), "wrong-password-123", "received passwords count as secrets")
}

// TestInteractiveSession signs in twice: the second time the account picker offers the
// signed-in account and no password is needed, until RevokeSessions ends the session.
func TestInteractiveSession(t *testing.T) {
	s := newServer(t, nil)
	c := loopbackClient(t, s, "organizations")
	ctx := t.Context()
	_, err := c.AcquireTokenInteractive(ctx, []string{armScope}, openURL(ctx, s.Browser(entratest.DefaultUsername, entratest.DefaultPassword)))
	require.NoError(t, err)

	s.ResetRequests()
	_, err = c.AcquireTokenInteractive(ctx, []string{armScope}, openURL(ctx, s.Browser(entratest.DefaultUsername, "")))
	require.NoError(t, err, "single sign-on from the account picker")
	var actions []string
	for _, r := range s.Requests() {
		if r.Endpoint == entratest.EndpointLogin {
			actions = append(actions, r.Form.Get("action"))
		}
	}
	assert.Equal(t, []string{"pick"}, actions)

	s.RevokeSessions(entratest.DefaultUsername)
	_, err = c.AcquireTokenInteractive(ctx, []string{armScope}, openURL(ctx, s.Browser(entratest.DefaultUsername, "")))
	require.ErrorContains(t, err, "AADSTS50126", "a revoked session needs the password again")
	_, err = c.AcquireTokenInteractive(ctx, []string{armScope}, openURL(ctx, s.Browser(entratest.DefaultUsername, entratest.DefaultPassword)))
	require.NoError(t, err)
}

// TestInteractiveTenants checks that users sign in only where they belong.
func TestInteractiveTenants(t *testing.T) {
	const fabrikam = "66666666-0000-4000-8000-000000000000"
	tests := []struct {
		name, tenant, username string
		wantErr                string
		wantTID                string
	}{
		{"work account via organizations", "organizations", entratest.DefaultUsername, "", entratest.DefaultTenantID},
		{"work account via common", "common", entratest.DefaultUsername, "", entratest.DefaultTenantID},
		{"work account via consumers", "consumers", entratest.DefaultUsername, "AADSTS50020", ""},
		{"work account of another tenant", fabrikam, entratest.DefaultUsername, "AADSTS50020", ""},
		{"personal account via consumers", "consumers", "carol@outlook.com", "", consumersTenantID},
		{"personal account via common", "common", "carol@outlook.com", "", consumersTenantID},
		{"personal account via organizations", "organizations", "carol@outlook.com", "AADSTS50020", ""},
		{"personal account as a guest", fabrikam, "carol@outlook.com", "", fabrikam},
		{"personal account in a tenant without guests", entratest.DefaultTenantID, "carol@outlook.com", "AADSTS50020", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, nil)
			s.AddTenant(entratest.Tenant{ID: fabrikam, Domain: "fabrikam.com", AllowPersonalAccounts: true})
			s.AddUser(entratest.User{Username: "carol@outlook.com", Password: "pw-carol", PersonalAccount: true})
			password := entratest.DefaultPassword
			if tt.username != entratest.DefaultUsername {
				password = "pw-carol"
			}
			c := loopbackClient(t, s, tt.tenant)
			ctx := t.Context()
			res, err := c.AcquireTokenInteractive(ctx, []string{armScope}, openURL(ctx, s.Browser(tt.username, password)))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantTID, res.IDToken.TenantID)
		})
	}
}

// redirectCatcher is an application's redirect URI endpoint that records what arrives.
type redirectCatcher struct {
	mu     sync.Mutex // guards got
	got    url.Values
	server *httptest.Server
}

func newRedirectCatcher(t *testing.T) *redirectCatcher {
	rc := &redirectCatcher{}
	rc.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		rc.mu.Lock()
		rc.got = r.Form
		rc.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(rc.server.Close)
	return rc
}

func (rc *redirectCatcher) params() url.Values {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.got
}

// TestAuthorizeErrors drives the authorize endpoint directly.
func TestAuthorizeErrors(t *testing.T) {
	s := newServer(t, nil)
	rc := newRedirectCatcher(t)
	const appID = "77777777-0000-4000-8000-000000000001"
	s.AddApp(entratest.App{ClientID: appID, PublicClient: true, ConsentGranted: true, RedirectURIs: []string{rc.server.URL + "/callback"}})
	valid := url.Values{
		"client_id":             {appID},
		"response_type":         {"code"},
		"redirect_uri":          {rc.server.URL + "/callback"},
		"scope":                 {"api://x/read openid offline_access"},
		"state":                 {"st-1"},
		"code_challenge":        {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		"code_challenge_method": {"S256"},
	}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range valid {
			c[kk] = vv
		}
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
		return c
	}
	pageTests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"unknown client", with("client_id", "88888888-0000-4000-8000-000000000000"), "AADSTS700016"},
		{"unregistered redirect URI", with("redirect_uri", "http://localhost:1/other"), "AADSTS50011"},
		{"missing redirect URI", with("redirect_uri", ""), "AADSTS900144"},
	}
	for _, tt := range pageTests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.Client().Get(s.URL() + "/organizations/oauth2/v2.0/authorize?" + tt.params.Encode())
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, 400, resp.StatusCode)
			assert.Contains(t, string(body), tt.want)
			err = s.Browser(entratest.DefaultUsername, entratest.DefaultPassword)(t.Context(),
				s.URL()+"/organizations/oauth2/v2.0/authorize?"+tt.params.Encode())
			require.ErrorContains(t, err, tt.want)
		})
	}
	redirectTests := []struct {
		name      string
		params    url.Values
		wantError string
		wantDesc  string
	}{
		{"no PKCE", with("code_challenge", ""), "invalid_request", "AADSTS900144"},
		{"plain PKCE", with("code_challenge_method", "plain"), "invalid_request", "AADSTS90100"},
		{"two resources", with("scope", "api://x/read https://management.azure.com/.default"), "invalid_scope", "AADSTS28000"},
		{"bad response type", with("response_type", "token"), "unsupported_response_type", "AADSTS70005"},
		{"prompt=none without a session", with("prompt", "none"), "login_required", "AADSTS50058"},
	}
	for _, tt := range redirectTests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Browser(entratest.DefaultUsername, entratest.DefaultPassword)(t.Context(),
				s.URL()+"/organizations/oauth2/v2.0/authorize?"+tt.params.Encode())
			require.NoError(t, err, "errors sent to the redirect URI are the application's")
			got := rc.params()
			assert.Equal(t, tt.wantError, got.Get("error"))
			assert.Contains(t, got.Get("error_description"), tt.wantDesc)
			assert.Equal(t, "st-1", got.Get("state"))
			assert.Empty(t, got.Get("code"))
		})
	}
	t.Run("query response mode", func(t *testing.T) {
		err := s.Browser(entratest.DefaultUsername, entratest.DefaultPassword)(t.Context(),
			s.URL()+"/organizations/oauth2/v2.0/authorize?"+valid.Encode())
		require.NoError(t, err)
		got := rc.params()
		assert.Equal(t, "st-1", got.Get("state"))
		assert.NotEmpty(t, got.Get("code"))
	})
}

// TestSignInPageRetry drives the sign-in page by hand: a wrong password shows an error on
// the same page, and the user can try again.
func TestSignInPageRetry(t *testing.T) {
	s, rc := newTokenTestServer(t, nil)
	client := s.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	q := url.Values{
		"client_id": {tokenAppID}, "response_type": {"code"}, "redirect_uri": {rc.server.URL + "/cb"},
		"scope": {armScope}, "state": {"st"}, "code_challenge": {strings.Repeat("c", 43)}, "code_challenge_method": {"S256"},
		"login_hint": {entratest.DefaultUsername},
	}
	resp, err := client.Get(s.URL() + "/organizations/oauth2/v2.0/authorize?" + q.Encode())
	require.NoError(t, err)
	page := readBody(t, resp)
	assert.Contains(t, page, `<meta name="entratest-step" content="password">`)
	assert.Contains(t, page, `value="`+entratest.DefaultUsername+`"`, "login_hint prefills the username")
	flow := regexp.MustCompile(`name="flow" value="([^"]+)"`).FindStringSubmatch(page)
	require.Len(t, flow, 2)

	post := func(password string) *http.Response {
		resp, err := client.PostForm(s.URL()+"/organizations/login", url.Values{"flow": {flow[1]}, "action": {"signin"},
			"username": {entratest.DefaultUsername}, "password": {password}})
		require.NoError(t, err)
		return resp
	}
	resp = post("not-the-password")
	page = readBody(t, resp)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, page, `role="alert">AADSTS50126`)
	assert.Contains(t, page, `content="password"`)

	resp = post(entratest.DefaultPassword)
	readBody(t, resp)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "st", loc.Query().Get("state"))
	assert.NotEmpty(t, loc.Query().Get("code"))

	resp = post(entratest.DefaultPassword)
	assert.Contains(t, readBody(t, resp), "AADSTS50132", "a finished flow can't be replayed")
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
