package entratest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

const tokenAppID = "12121212-0000-4000-8000-000000000001"

// codeFlow gets an authorization code by signing in through the pages in query mode.
func codeFlow(t *testing.T, s *entratest.Server, rc *redirectCatcher, verifier string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id":             {tokenAppID},
		"response_type":         {"code"},
		"redirect_uri":          {rc.server.URL + "/cb"},
		"scope":                 {"https://management.azure.com/.default openid profile offline_access"},
		"state":                 {"s"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		"prompt":                {"login"},
	}
	require.NoError(t, s.Browser(entratest.DefaultUsername, entratest.DefaultPassword)(t.Context(),
		s.URL()+"/organizations/oauth2/v2.0/authorize?"+q.Encode()))
	code := rc.params().Get("code")
	require.NotEmpty(t, code)
	return code
}

func newTokenTestServer(t *testing.T, opts *entratest.Options) (*entratest.Server, *redirectCatcher) {
	s := newServer(t, opts)
	rc := newRedirectCatcher(t)
	s.AddApp(entratest.App{ClientID: tokenAppID, PublicClient: true, ConsentGranted: true, RedirectURIs: []string{rc.server.URL + "/cb"}})
	return s, rc
}

func redeem(t *testing.T, s *entratest.Server, rc *redirectCatcher, code, verifier string) (int, map[string]any) {
	return postForm(t, s, s.URL()+"/organizations/oauth2/v2.0/token", url.Values{
		"client_id":     {tokenAppID},
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"code_verifier": {verifier},
		"redirect_uri":  {rc.server.URL + "/cb"},
		"client_info":   {"1"},
	})
}

// TestAuthorizationCodeGrant checks PKCE, single use, and the success response contract.
func TestAuthorizationCodeGrant(t *testing.T) {
	s, rc := newTokenTestServer(t, &entratest.Options{RefreshIn: 90 * time.Second})
	verifier := strings.Repeat("v", 43)
	code := codeFlow(t, s, rc, verifier)

	status, body := redeem(t, s, rc, code, strings.Repeat("w", 43))
	requireEntraError(t, status, body, 400, "invalid_grant", 501481)

	status, body = redeem(t, s, rc, code, verifier)
	require.Equal(t, 200, status, "%v", body)
	assert.Equal(t, "Bearer", body["token_type"])
	assert.Equal(t, "https://management.azure.com/.default", body["scope"])
	assert.Equal(t, float64(3600), body["expires_in"])
	assert.Equal(t, float64(3600), body["ext_expires_in"])
	assert.Equal(t, float64(90), body["refresh_in"])
	for _, k := range []string{"access_token", "refresh_token", "id_token", "client_info"} {
		assert.NotEmpty(t, body[k], k)
	}
	ci := body["client_info"].(string)
	assert.NotContains(t, ci, "=", "client_info is base64url without padding")
	raw, err := base64.RawURLEncoding.DecodeString(ci)
	require.NoError(t, err)
	assert.JSONEq(t, `{"uid":"`+entratest.DefaultUserObjectID+`","utid":"`+entratest.DefaultTenantID+`"}`, string(raw))
	idt := decodeJWT(t, body["id_token"].(string))
	assert.Equal(t, s.URL()+"/"+entratest.DefaultTenantID+"/v2.0", idt["iss"])
	assert.Equal(t, tokenAppID, idt["aud"])
	assert.Equal(t, "2.0", idt["ver"])
	for _, k := range []string{"tid", "oid", "sub", "preferred_username", "name", "iat", "nbf", "exp"} {
		assert.NotEmpty(t, idt[k], k)
	}

	status, body = redeem(t, s, rc, code, verifier)
	requireEntraError(t, status, body, 400, "invalid_grant", 54005)
}

func TestAuthorizationCodeBindings(t *testing.T) {
	clock := newFakeClock()
	s, rc := newTokenTestServer(t, &entratest.Options{Now: clock.Now})
	verifier := strings.Repeat("x", 64)

	code := codeFlow(t, s, rc, verifier)
	status, body := postForm(t, s, s.URL()+"/organizations/oauth2/v2.0/token", url.Values{
		"client_id": {tokenAppID}, "grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {rc.server.URL + "/elsewhere"},
	})
	requireEntraError(t, status, body, 400, "invalid_grant", 500112)

	status, body = postForm(t, s, s.URL()+"/organizations/oauth2/v2.0/token", url.Values{
		"client_id": {entratest.DefaultClientID}, "grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {rc.server.URL + "/cb"},
	})
	requireEntraError(t, status, body, 400, "invalid_grant", 70000)

	clock.Advance(11 * time.Minute)
	status, body = redeem(t, s, rc, code, verifier)
	requireEntraError(t, status, body, 400, "invalid_grant", 70008)
}

// TestRefreshTokenRotation: each redemption returns a new refresh token and retires the old.
func TestRefreshTokenRotation(t *testing.T) {
	clock := newFakeClock()
	s := newServer(t, &entratest.Options{Now: clock.Now})
	tokenURL := s.URL() + "/organizations/oauth2/v2.0/token"
	status, body := postForm(t, s, tokenURL, url.Values{
		"client_id": {entratest.DefaultClientID}, "grant_type": {"password"},
		"username": {entratest.DefaultUsername}, "password": {entratest.DefaultPassword},
		"scope": {armScope + " offline_access"},
	})
	require.Equal(t, 200, status, "%v", body)
	assert.Nil(t, body["id_token"], "no openid scope, no ID token")
	rt1 := body["refresh_token"].(string)

	refresh := func(rt, scope string) (int, map[string]any) {
		return postForm(t, s, tokenURL, url.Values{
			"client_id": {entratest.DefaultClientID}, "grant_type": {"refresh_token"},
			"refresh_token": {rt}, "scope": {scope},
		})
	}
	status, body = refresh(rt1, "https://storage.azure.com/user_impersonation offline_access")
	require.Equal(t, 200, status, "%v", body)
	rt2 := body["refresh_token"].(string)
	assert.NotEqual(t, rt1, rt2)
	at := decodeJWT(t, body["access_token"].(string))
	assert.Equal(t, "https://storage.azure.com", at["aud"], "refresh tokens are multi-resource")
	assert.Equal(t, "user_impersonation", at["scp"])

	status, body = refresh(rt1, armScope)
	requireEntraError(t, status, body, 400, "invalid_grant", 70000)
	status, body = refresh("not-a-refresh-token", armScope)
	requireEntraError(t, status, body, 400, "invalid_grant", 9002313)

	clock.Advance(91 * 24 * time.Hour)
	status, body = refresh(rt2, armScope)
	requireEntraError(t, status, body, 400, "invalid_grant", 700082)
}

// TestReusableRefreshTokens: with the option, a redeemed refresh token stays valid, as Entra
// ID's do.
func TestReusableRefreshTokens(t *testing.T) {
	s := newServer(t, &entratest.Options{ReusableRefreshTokens: true})
	tokenURL := s.URL() + "/organizations/oauth2/v2.0/token"
	status, body := postForm(t, s, tokenURL, url.Values{
		"client_id": {entratest.DefaultClientID}, "grant_type": {"password"},
		"username": {entratest.DefaultUsername}, "password": {entratest.DefaultPassword},
		"scope": {armScope + " offline_access"},
	})
	require.Equal(t, 200, status, "%v", body)
	rt1 := body["refresh_token"].(string)
	for _, scope := range []string{armScope, "https://storage.azure.com/.default", armScope} {
		status, body = postForm(t, s, tokenURL, url.Values{
			"client_id": {entratest.DefaultClientID}, "grant_type": {"refresh_token"},
			"refresh_token": {rt1}, "scope": {scope},
		})
		require.Equal(t, 200, status, "%v", body)
		assert.NotEqual(t, rt1, body["refresh_token"], "a new refresh token each time")
	}
}

func TestTokenRequestErrors(t *testing.T) {
	s := newServer(t, nil)
	tests := []struct {
		name      string
		tenant    string
		form      url.Values
		wantError string
		wantCode  int
	}{
		{"unsupported grant", "organizations", url.Values{"client_id": {entratest.DefaultClientID}, "grant_type": {"client_credentials"}},
			"unsupported_grant_type", 70003},
		{"missing client", "organizations", url.Values{"grant_type": {"password"}}, "invalid_request", 900144},
		{"unknown tenant", "nosuchtenant.example", url.Values{"client_id": {entratest.DefaultClientID}, "grant_type": {"password"}},
			"invalid_tenant", 90002},
		{"two resources", "organizations", url.Values{"client_id": {entratest.DefaultClientID}, "grant_type": {"password"},
			"username": {entratest.DefaultUsername}, "password": {entratest.DefaultPassword},
			"scope": {"https://management.azure.com/.default https://storage.azure.com/.default"}}, "invalid_scope", 28000},
		{"malformed claims", "organizations", url.Values{"client_id": {entratest.DefaultClientID}, "grant_type": {"password"},
			"username": {entratest.DefaultUsername}, "password": {entratest.DefaultPassword},
			"scope": {armScope}, "claims": {"{nope"}}, "invalid_request", 90100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postForm(t, s, s.URL()+"/"+tt.tenant+"/oauth2/v2.0/token", tt.form)
			requireEntraError(t, status, body, 400, tt.wantError, tt.wantCode)
		})
	}
}

func decodeJWT(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	return claims
}
