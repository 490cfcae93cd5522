package entratest_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

// TestSilentRefresh covers the two ways MSAL's silent request comes back to the server:
// refresh_in has passed (proactive refresh), or the access token is within 5 minutes of
// expiring. MSAL's cache and the server both read time.Now, so on synctest's fake clock,
// with the server in memory, the second that has to pass takes no real time.
func TestSilentRefresh(t *testing.T) {
	tests := []struct {
		name string
		opts entratest.Options
	}{
		{"refresh_in", entratest.Options{RefreshIn: time.Second}},
		{"expiry", entratest.Options{AccessTokenLifetime: 5*time.Minute + time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, &tt.opts)
			synctest.Test(t, func(t *testing.T) {
				c, err := public.New(entratest.DefaultClientID, public.WithAuthority(s.URL()+"/organizations"),
					public.WithHTTPClient(&http.Client{Transport: s.Transport()}))
				require.NoError(t, err)
				first := deviceCodeToken(t, s, c, []string{armScope})

				cached, err := c.AcquireTokenSilent(t.Context(), []string{armScope}, public.WithSilentAccount(first.Account))
				require.NoError(t, err)
				assert.Equal(t, first.AccessToken, cached.AccessToken)
				assert.Equal(t, public.TokenSourceCache, cached.Metadata.TokenSource)

				time.Sleep(1100 * time.Millisecond) // the bubble's clock: no real time passes
				refreshed, err := c.AcquireTokenSilent(t.Context(), []string{armScope}, public.WithSilentAccount(first.Account))
				require.NoError(t, err)
				assert.NotEqual(t, first.AccessToken, refreshed.AccessToken)
				assert.Equal(t, public.TokenSourceIdentityProvider, refreshed.Metadata.TokenSource)
				assert.Equal(t, 1, countRequests(s, entratest.EndpointToken, "refresh_token"))

				// MSAL stored the rotated refresh token: refreshing again works.
				again, err := c.AcquireTokenSilent(t.Context(), []string{armScope}, public.WithSilentAccount(first.Account),
					public.WithClaims(`{"access_token":{"foo":{"essential":true}}}`))
				require.NoError(t, err)
				assert.Equal(t, public.TokenSourceIdentityProvider, again.Metadata.TokenSource)
			})
		})
	}
}

// TestSilentOtherTenantAndScope redeems the refresh token for another resource.
func TestSilentOtherResource(t *testing.T) {
	s := newServer(t, nil)
	c := loopbackClient(t, s, "organizations")
	first := deviceCodeToken(t, s, c, []string{armScope})
	res, err := c.AcquireTokenSilent(t.Context(), []string{"https://vault.azure.net/.default"}, public.WithSilentAccount(first.Account))
	require.NoError(t, err)
	claims, err := s.VerifyAccessToken(res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "https://vault.azure.net", claims["aud"])
	res, err = c.AcquireTokenSilent(t.Context(), []string{armScope}, public.WithSilentAccount(first.Account),
		public.WithTenantID(entratest.DefaultTenantID))
	require.NoError(t, err)
	assert.Equal(t, entratest.DefaultTenantID, res.IDToken.TenantID)
}

// TestCAE walks through continuous access evaluation: a CP1 client gets xms_cc, the
// revocation makes the resource server reject the token with a claims challenge, the
// cache still serves the revoked token, and passing the challenge to MSAL gets a fresh one.
func TestCAE(t *testing.T) {
	s := newServer(t, nil)
	c := loopbackClient(t, s, "organizations", public.WithClientCapabilities([]string{"CP1"}))
	first := deviceCodeToken(t, s, c, []string{armScope})
	claims, err := s.VerifyAccessToken(first.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []any{"CP1"}, claims["xms_cc"])
	assert.JSONEq(t, `{"access_token":{"xms_cc":{"values":["CP1"]}}}`, firstRequest(t, s, entratest.EndpointDeviceCode).Form.Get("claims"))

	challenge := s.RevokeSessions(entratest.DefaultUsername)
	_, err = s.VerifyAccessToken(first.AccessToken)
	var cce *entratest.ClaimsChallengeError
	require.True(t, errors.As(err, &cce), "got %v", err)
	assert.Equal(t, challenge, cce.Claims)
	header := cce.WWWAuthenticate()
	require.Contains(t, header, `error="insufficient_claims"`)
	_, b64, _ := strings.Cut(header, `claims="`)
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(b64, `"`))
	require.NoError(t, err)
	assert.Equal(t, challenge, string(decoded))

	cached, err := c.AcquireTokenSilent(t.Context(), []string{armScope}, public.WithSilentAccount(first.Account))
	require.NoError(t, err)
	assert.Equal(t, first.AccessToken, cached.AccessToken, "without claims MSAL serves the cached token")

	fresh, err := c.AcquireTokenSilent(t.Context(), []string{armScope}, public.WithSilentAccount(first.Account), public.WithClaims(challenge))
	require.NoError(t, err)
	claims, err = s.VerifyAccessToken(fresh.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []any{"CP1"}, claims["xms_cc"], "MSAL merges the challenge with CP1")
	var value struct {
		AccessToken struct {
			NBF struct{ Value string } `json:"nbf"`
		} `json:"access_token"`
	}
	require.NoError(t, jsonUnmarshal(challenge, &value))
	nbf, err := strconv.ParseInt(value.AccessToken.NBF.Value, 10, 64)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, claims["iat"], float64(nbf))
	assert.GreaterOrEqual(t, claims["nbf"], float64(nbf))
}

// TestRevokedRefreshTokenNeedsClaims: after RevokeSessions, a refresh token issued before
// redeems only with the claims challenge.
func TestRevokedRefreshTokenNeedsClaims(t *testing.T) {
	s := newServer(t, nil)
	tokenURL := s.URL() + "/organizations/oauth2/v2.0/token"
	status, body := postForm(t, s, tokenURL, url.Values{
		"client_id": {entratest.DefaultClientID}, "grant_type": {"password"},
		"username": {entratest.DefaultUsername}, "password": {entratest.DefaultPassword},
		"scope": {armScope + " offline_access"},
	})
	require.Equal(t, 200, status, "%v", body)
	rt := body["refresh_token"].(string)
	challenge := s.RevokeSessions(entratest.DefaultUsername)

	form := url.Values{"client_id": {entratest.DefaultClientID}, "grant_type": {"refresh_token"},
		"refresh_token": {rt}, "scope": {armScope + " offline_access"}}
	status, body = postForm(t, s, tokenURL, form)
	requireEntraError(t, status, body, 400, "invalid_grant", 50173)
	assert.Equal(t, challenge, body["claims"])

	form.Set("claims", challenge)
	status, body = postForm(t, s, tokenURL, form)
	require.Equal(t, 200, status, "%v", body)
	_, err := s.VerifyAccessToken(body["access_token"].(string))
	require.NoError(t, err)
}
