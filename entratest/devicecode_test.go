package entratest_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

func TestDeviceCodeApproved(t *testing.T) {
	for _, a := range authorities {
		t.Run(a.name, func(t *testing.T) {
			s := newServer(t, nil)
			c := newClient(t, s, a.url(s), a.discovery)
			ctx := t.Context()
			dc, err := c.AcquireTokenByDeviceCode(ctx, []string{armScope})
			require.NoError(t, err)
			authorityHost := hostOf(t, a.url(s))
			assert.Equal(t, "https://"+authorityHost+"/devicelogin", dc.Result.VerificationURL)
			assert.Len(t, dc.Result.UserCode, 9)
			assert.Contains(t, dc.Result.Message, dc.Result.UserCode)
			assert.Contains(t, dc.Result.Message, dc.Result.VerificationURL)
			assert.WithinDuration(t, time.Now().Add(15*time.Minute), dc.Result.ExpiresOn, time.Minute)

			require.NoError(t, s.ApproveDeviceCode(dc.Result.UserCode, entratest.DefaultUsername))
			res, err := dc.AuthenticationResult(ctx)
			require.NoError(t, err)

			assert.Equal(t, entratest.DefaultUserObjectID+"."+entratest.DefaultTenantID, res.Account.HomeAccountID)
			assert.Equal(t, entratest.DefaultUsername, res.Account.PreferredUsername)
			assert.Equal(t, "https://"+authorityHost+"/"+entratest.DefaultTenantID+"/v2.0", res.IDToken.Issuer)
			assert.Equal(t, entratest.DefaultClientID, res.IDToken.Audience)
			claims, err := s.VerifyAccessToken(res.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, "https://management.azure.com", claims["aud"])
			assert.Equal(t, "user_impersonation", claims["scp"])
			assert.Equal(t, entratest.DefaultTenantID, claims["tid"])
			assert.Equal(t, entratest.DefaultUserObjectID, claims["oid"])
			assert.Equal(t, entratest.DefaultClientID, claims["appid"])
			assert.Equal(t, "device_code", lastTokenRequest(t, s).Form.Get("grant_type"))
			if a.discovery && strings.HasPrefix(authorityHost, "127.0.0.1") {
				// MSAL asks login.microsoftonline.com about hosts it doesn't know.
				assert.Positive(t, countRequests(s, entratest.EndpointDiscovery, ""))
			}
		})
	}
}

func lastTokenRequest(t *testing.T, s *entratest.Server) entratest.Request {
	t.Helper()
	reqs := s.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Endpoint == entratest.EndpointToken {
			return reqs[i]
		}
	}
	t.Fatal("no token request")
	return entratest.Request{}
}

// TestDeviceCodePending approves only after MSAL has polled and been told
// authorization_pending, then slow_down. It runs in memory on synctest's clock: the user
// approves once both polls are in, with MSAL asleep until its next one.
func TestDeviceCodePending(t *testing.T) {
	s := newServer(t, nil)
	synctest.Test(t, func(t *testing.T) {
		c, err := public.New(entratest.DefaultClientID, public.WithAuthority(s.URL()+"/organizations"),
			public.WithHTTPClient(&http.Client{Transport: s.Transport()}), public.WithInstanceDiscovery(false))
		require.NoError(t, err)
		ctx := t.Context()
		dc, err := c.AcquireTokenByDeviceCode(ctx, []string{armScope})
		require.NoError(t, err)
		s.SlowDownDeviceCode(1)
		done := make(chan error)
		go func() {
			_, err := dc.AuthenticationResult(ctx)
			done <- err
		}()
		// MSAL polls on its own schedule; on the bubble's clock, stepping time forward
		// lets its next poll in without real time passing.
		for countRequests(s, entratest.EndpointToken, "device_code") < 2 {
			time.Sleep(time.Millisecond)
		}
		require.NoError(t, s.ApproveDeviceCode(dc.Result.UserCode, entratest.DefaultUsername))
		require.NoError(t, <-done)
	})

	var statuses []int
	for _, r := range s.Requests() {
		if r.GrantType == "device_code" {
			statuses = append(statuses, r.Status)
		}
	}
	require.GreaterOrEqual(t, len(statuses), 3)
	assert.Equal(t, []int{400, 400}, statuses[:2], "authorization_pending, then slow_down")
	assert.Equal(t, 200, statuses[len(statuses)-1])
}

func TestDeviceCodeFailures(t *testing.T) {
	tests := []struct {
		name      string
		act       func(t *testing.T, s *entratest.Server, clock *fakeClock, userCode string)
		wantError string
		wantCode  int
	}{
		{"denied", func(t *testing.T, s *entratest.Server, _ *fakeClock, userCode string) {
			require.NoError(t, s.DenyDeviceCode(userCode))
		}, "authorization_declined", 65004},
		{"expired by the server clock", func(t *testing.T, _ *entratest.Server, clock *fakeClock, _ string) {
			clock.Advance(16 * time.Minute)
		}, "expired_token", 70020},
		{"declined on the verification page", func(t *testing.T, s *entratest.Server, _ *fakeClock, userCode string) {
			require.NoError(t, s.DeviceCancelBrowser()(t.Context(), s.URL()+"/devicelogin", userCode))
		}, "authorization_declined", 65004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			s := newServer(t, &entratest.Options{Now: clock.Now})
			c := loopbackClient(t, s, "organizations")
			dc, err := c.AcquireTokenByDeviceCode(t.Context(), []string{armScope})
			require.NoError(t, err)
			tt.act(t, s, clock, dc.Result.UserCode)
			_, err = dc.AuthenticationResult(t.Context())
			require.Error(t, err)
			status, body := callErrBody(t, err)
			assert.Equal(t, 400, status)
			assert.Equal(t, tt.wantError, body.Error)
			assert.Equal(t, []int{tt.wantCode}, body.ErrorCodes)
		})
	}
}

// TestDeviceCodeLifetime checks that MSAL gives up when expires_in has passed.
func TestDeviceCodeLifetime(t *testing.T) {
	t.Parallel()
	s := newServer(t, &entratest.Options{DeviceCodeLifetime: time.Second})
	c := loopbackClient(t, s, "organizations")
	dc, err := c.AcquireTokenByDeviceCode(t.Context(), []string{armScope})
	require.NoError(t, err)
	_, err = dc.AuthenticationResult(t.Context())
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestDeviceBrowser(t *testing.T) {
	s := newServer(t, nil)
	s.AddUser(entratest.User{Username: "mallory@contoso.com", Password: "m-pass-123", MFARequired: true})
	s.AddApp(entratest.App{ClientID: "11111111-2222-4333-8444-555555555555", PublicClient: true, Name: "Tool"})
	c, err := public.New("11111111-2222-4333-8444-555555555555", public.WithAuthority(s.URL()+"/organizations"),
		public.WithHTTPClient(s.Client()), public.WithInstanceDiscovery(false))
	require.NoError(t, err)
	dc, err := c.AcquireTokenByDeviceCode(t.Context(), []string{"api://tool/read"})
	require.NoError(t, err)
	// A person types the code in lower case with a dash.
	code := strings.ToLower(dc.Result.UserCode[:4] + "-" + dc.Result.UserCode[4:])
	require.NoError(t, s.DeviceBrowser("mallory@contoso.com", "m-pass-123")(t.Context(), dc.Result.VerificationURL, code))
	res, err := dc.AuthenticationResult(t.Context())
	require.NoError(t, err)
	claims, err := s.VerifyAccessToken(res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "api://tool", claims["aud"])
	assert.Equal(t, "read", claims["scp"])
	assert.Equal(t, []any{"pwd", "mfa"}, claims["amr"])

	// The code is used up.
	err = s.DeviceBrowser("mallory@contoso.com", "m-pass-123")(t.Context(), dc.Result.VerificationURL, code)
	require.ErrorContains(t, err, "already used")
}

func TestApproveDeviceCodeErrors(t *testing.T) {
	s := newServer(t, nil)
	s.AddTenant(entratest.Tenant{ID: "22222222-0000-4000-8000-000000000000", Domain: "fabrikam.com"})
	s.AddUser(entratest.User{Username: "bob@fabrikam.com", Password: "b", TenantID: "22222222-0000-4000-8000-000000000000"})
	c := loopbackClient(t, s, entratest.DefaultTenantID)
	dc, err := c.AcquireTokenByDeviceCode(t.Context(), []string{armScope})
	require.NoError(t, err)

	require.ErrorContains(t, s.ApproveDeviceCode("NOSUCHCOD", entratest.DefaultUsername), "no such user code")
	require.ErrorContains(t, s.ApproveDeviceCode(dc.Result.UserCode, "nobody@contoso.com"), "unknown user")
	require.ErrorContains(t, s.ApproveDeviceCode(dc.Result.UserCode, "bob@fabrikam.com"), "AADSTS50020")
	require.NoError(t, s.ApproveDeviceCode(dc.Result.UserCode, entratest.DefaultUsername))
	require.ErrorContains(t, s.DenyDeviceCode(dc.Result.UserCode), "already used")
}

// TestDeviceCodeURNGrantType redeems a device code with the RFC 8628 grant type.
func TestDeviceCodeURNGrantType(t *testing.T) {
	s := newServer(t, nil)
	status, body := postForm(t, s, s.URL()+"/organizations/oauth2/v2.0/devicecode", url.Values{
		"client_id": {entratest.DefaultClientID}, "scope": {armScope + " offline_access openid"},
	})
	require.Equal(t, 200, status, "%v", body)
	require.NoError(t, s.ApproveDeviceCode(body["user_code"].(string), entratest.DefaultUsername))
	status, tok := postForm(t, s, s.URL()+"/organizations/oauth2/v2.0/token", url.Values{
		"client_id":   {entratest.DefaultClientID},
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {body["device_code"].(string)},
	})
	require.Equal(t, 200, status, "%v", tok)
	assert.NotEmpty(t, tok["refresh_token"])
	assert.NotEmpty(t, tok["id_token"])
	assert.Nil(t, tok["client_info"], "client_info only when asked for")

	// Redeemed codes stay redeemed.
	status, again := postForm(t, s, s.URL()+"/organizations/oauth2/v2.0/token", url.Values{
		"client_id":   {entratest.DefaultClientID},
		"grant_type":  {"device_code"},
		"device_code": {body["device_code"].(string)},
	})
	requireEntraError(t, status, again, 400, "invalid_grant", 70000)
}
