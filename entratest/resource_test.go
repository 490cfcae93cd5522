package entratest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

// get sends GET url with the bearer token (none when token is "").
func get(t *testing.T, s *entratest.Server, url, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestResourceChecksTokens(t *testing.T) {
	clock := newFakeClock()
	s := newServer(t, &entratest.Options{Now: clock.Now})
	vault := s.Resource(entratest.ResourceOptions{Audience: "https://vault.azure.net", Scopes: []string{"user_impersonation"}})
	c := loopbackClient(t, s, entratest.DefaultTenantID)
	good := deviceCodeToken(t, s, c, []string{"https://vault.azure.net/.default"}).AccessToken

	other := newServer(t, nil) // its tokens are signed with another key
	forged := deviceCodeToken(t, other, loopbackClient(t, other, entratest.DefaultTenantID), []string{"https://vault.azure.net/.default"}).AccessToken
	arm := deviceCodeToken(t, s, c, []string{armScope}).AccessToken
	narrow := deviceCodeToken(t, s, c, []string{"https://vault.azure.net/secrets.read"}).AccessToken

	resp, _ := get(t, s, vault.URL()+"/secrets/x", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer authorization="https://login.microsoftonline.com/`+entratest.DefaultTenantID+`", resource="https://vault.azure.net"`, resp.Header.Get("WWW-Authenticate"))

	resp, body := get(t, s, vault.URL()+"/secrets/x", good)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var claims map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &claims))
	assert.Equal(t, entratest.DefaultUsername, claims["upn"], "the default handler answers with the token's claims")

	for _, tc := range []struct {
		name, token, why string
	}{
		{"another server's key", forged, "unknown key ID"},
		{"another audience", arm, `the token's audience is "https://management.azure.com", not "https://vault.azure.net"`},
		{"a missing scope", narrow, `the token doesn't grant "user_impersonation"`},
		{"not a JWT", "abc", "invalid access token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, s, vault.URL()+"/secrets/x", tc.token)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
			assert.Contains(t, body, tc.why)
		})
	}

	clock.Advance(2 * time.Hour)
	resp, body = get(t, s, vault.URL()+"/secrets/x", good)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, body, "token is expired")

	want := []entratest.ResourceResult{entratest.ResourceNoToken, entratest.ResourceAccepted,
		entratest.ResourceRejected, entratest.ResourceRejected, entratest.ResourceRejected, entratest.ResourceRejected, entratest.ResourceRejected}
	var got []entratest.ResourceResult
	for _, r := range vault.Requests() {
		got = append(got, r.Result)
	}
	assert.Equal(t, want, got)
}

// TestResourceClaimsChallenge: after RevokeSessions, a CAE-capable token gets the claims
// challenge; one without CP1 stays valid until it expires.
func TestResourceClaimsChallenge(t *testing.T) {
	clock := newFakeClock()
	s := newServer(t, &entratest.Options{Now: clock.Now})
	api := s.Resource(entratest.ResourceOptions{Audience: "https://vault.azure.net", TenantID: entratest.DefaultTenantID})
	cae := loopbackClient(t, s, entratest.DefaultTenantID, public.WithClientCapabilities([]string{"CP1"}))
	plain := loopbackClient(t, s, entratest.DefaultTenantID)
	caeToken := deviceCodeToken(t, s, cae, []string{"https://vault.azure.net/.default"}).AccessToken
	plainToken := deviceCodeToken(t, s, plain, []string{"https://vault.azure.net/.default"}).AccessToken

	clock.Advance(time.Second)
	challenge := s.RevokeSessions(entratest.DefaultUsername)
	resp, _ := get(t, s, api.URL(), caeToken)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	h := resp.Header.Get("WWW-Authenticate")
	assert.Contains(t, h, `error="insufficient_claims"`)
	assert.Contains(t, h, `claims="`+base64.StdEncoding.EncodeToString([]byte(challenge))+`"`)

	resp, _ = get(t, s, api.URL(), plainToken)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, entratest.ResourceClaimsChallenge, api.Requests()[0].Result)
}

// TestResourceHost: Client reaches a resource at its Host on port 443, with a certificate
// for that name; other hosts stay refused.
func TestResourceHost(t *testing.T) {
	s := newServer(t, nil)
	vault := s.Resource(entratest.ResourceOptions{Audience: "https://vault.azure.net", Host: "contoso.vault.azure.net"})
	assert.Equal(t, "https://contoso.vault.azure.net", vault.URL())
	resp, _ := get(t, s, "https://CONTOSO.vault.azure.net/secrets", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = get(t, s, vault.LoopbackURL()+"/secrets", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Len(t, vault.Requests(), 2)

	_, err := s.Client().Get("https://fabrikam.vault.azure.net/")
	require.ErrorContains(t, err, "refusing")
	_, err = s.Client().Get("https://contoso.vault.azure.net:8443/")
	require.ErrorContains(t, err, "refusing", "only port 443 is routed")

	assert.Panics(t, func() { s.Resource(entratest.ResourceOptions{Audience: "x", Host: "contoso.vault.azure.net"}) })
	assert.Panics(t, func() { s.Resource(entratest.ResourceOptions{}) })
}

// TestResourceHandler: the handler sees the accepted token's claims; Close stops it.
func TestResourceHandler(t *testing.T) {
	s := newServer(t, nil)
	api := s.Resource(entratest.ResourceOptions{Audience: "api://orders", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "orders of "+entratest.TokenClaims(r)["upn"].(string))
	})})
	token := deviceCodeToken(t, s, loopbackClient(t, s, entratest.DefaultTenantID), []string{"api://orders/read"}).AccessToken
	resp, body := get(t, s, api.URL()+"/orders", token)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "orders of "+entratest.DefaultUsername, body)
	api.Close()
	_, err := s.Client().Get(api.URL())
	require.Error(t, err)
}

// TestTrustCertificate: Client trusts a test's own HTTPS server once told to, including
// clients it gave out before.
func TestTrustCertificate(t *testing.T) {
	s := newServer(t, nil)
	own := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "mine") }))
	defer own.Close()
	before := s.Client()
	_, err := before.Get(own.URL)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "certificate"), err.Error())

	s.TrustCertificate(own.Certificate())
	for _, c := range []*http.Client{before, s.Client()} {
		resp, err := c.Get(own.URL)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "mine", string(b))
	}
}
