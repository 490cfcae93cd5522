// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package entratest_test

import (
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

func TestUsernamePassword(t *testing.T) {
	for _, a := range authorities {
		t.Run(a.name, func(t *testing.T) {
			s := newServer(t, nil)
			c := newClient(t, s, a.url(s), a.discovery)
			res, err := c.AcquireTokenByUsernamePassword(t.Context(), []string{armScope}, entratest.DefaultUsername, entratest.DefaultPassword)
			require.NoError(t, err)
			assert.Equal(t, entratest.DefaultUserObjectID+"."+entratest.DefaultTenantID, res.Account.HomeAccountID)
			assert.Equal(t, 1, countRequests(s, entratest.EndpointUserRealm, ""))
			req := lastTokenRequest(t, s)
			assert.Equal(t, "password", req.GrantType)
			assert.Equal(t, entratest.DefaultPassword, req.Form.Get("password"))
			claims, err := s.VerifyAccessToken(res.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, []any{"pwd"}, claims["amr"])
		})
	}
}

func TestUsernamePasswordErrors(t *testing.T) {
	const (
		otherApp    = "33333333-0000-4000-8000-000000000001"
		webApp      = "33333333-0000-4000-8000-000000000002"
		fabrikamTID = "44444444-0000-4000-8000-000000000000"
	)
	setup := func(s *entratest.Server) {
		s.AddTenant(entratest.Tenant{ID: fabrikamTID, Domain: "fabrikam.com"})
		s.AddUser(entratest.User{Username: "mfa@contoso.com", Password: "pw-mfa", MFARequired: true})
		s.AddUser(entratest.User{Username: "disabled@contoso.com", Password: "pw-disabled", Disabled: true})
		s.AddUser(entratest.User{Username: "fed@contoso.com", Password: "pw-fed", Federated: true})
		s.AddUser(entratest.User{Username: "bob@fabrikam.com", Password: "pw-bob", TenantID: fabrikamTID})
		s.AddUser(entratest.User{Username: "carol@outlook.com", Password: "pw-carol", PersonalAccount: true})
		s.AddApp(entratest.App{ClientID: otherApp, PublicClient: true, Name: "Unconsented"})
		s.AddApp(entratest.App{ClientID: webApp, ConsentGranted: true, Name: "Web app"})
	}
	tests := []struct {
		name, clientID, tenant, username, password string
		wantError                                  string // OAuth error; "" when MSAL fails before the token request
		wantCode                                   int
		wantStatus                                 int
		wantText                                   string
		wantClaims                                 bool
	}{
		{name: "bad password", username: entratest.DefaultUsername, password: "wrong",
			wantError: "invalid_grant", wantCode: 50126},
		{name: "unknown user", username: "nobody@contoso.com", password: "pw-nobody",
			wantError: "invalid_grant", wantCode: 50034},
		{name: "MFA required", username: "mfa@contoso.com", password: "pw-mfa",
			wantError: "invalid_grant", wantCode: 50076, wantClaims: true},
		{name: "disabled", username: "disabled@contoso.com", password: "pw-disabled",
			wantError: "invalid_grant", wantCode: 50057},
		{name: "user of another tenant", tenant: entratest.DefaultTenantID, username: "bob@fabrikam.com", password: "pw-bob",
			wantError: "invalid_grant", wantCode: 50034},
		{name: "no consent", clientID: otherApp, username: entratest.DefaultUsername, password: entratest.DefaultPassword,
			wantError: "invalid_grant", wantCode: 65001},
		{name: "unknown app", clientID: "99999999-0000-4000-8000-000000000000", username: entratest.DefaultUsername, password: entratest.DefaultPassword,
			wantError: "unauthorized_client", wantCode: 700016},
		{name: "not a public client", clientID: webApp, username: entratest.DefaultUsername, password: entratest.DefaultPassword,
			wantError: "invalid_client", wantCode: 7000218, wantStatus: 401},
		{name: "common endpoint", tenant: "common", username: entratest.DefaultUsername, password: entratest.DefaultPassword,
			wantError: "invalid_request", wantCode: 9001023},
		{name: "federated", username: "fed@contoso.com", password: "pw-fed", wantText: "problem getting mex doc"},
		{name: "personal account", username: "carol@outlook.com", password: "pw-carol", wantText: "unknown account type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, nil)
			setup(s)
			clientID, tenant := tt.clientID, tt.tenant
			if clientID == "" {
				clientID = entratest.DefaultClientID
			}
			if tenant == "" {
				tenant = "organizations"
			}
			c, err := public.New(clientID, public.WithAuthority(s.URL()+"/"+tenant),
				public.WithHTTPClient(s.Client()), public.WithInstanceDiscovery(false))
			require.NoError(t, err)
			_, err = c.AcquireTokenByUsernamePassword(t.Context(), []string{armScope}, tt.username, tt.password)
			require.Error(t, err)
			if tt.wantText != "" {
				require.ErrorContains(t, err, tt.wantText)
				return
			}
			status, body := callErrBody(t, err)
			wantStatus := tt.wantStatus
			if wantStatus == 0 {
				wantStatus = 400
			}
			assert.Equal(t, wantStatus, status)
			assert.Equal(t, tt.wantError, body.Error)
			assert.Equal(t, []int{tt.wantCode}, body.ErrorCodes)
			assert.Contains(t, body.ErrorDescription, "AADSTS")
			assert.NotEmpty(t, body.CorrelationID)
			if tt.wantClaims {
				assert.Contains(t, body.Claims, `"capolids"`)
				assert.Equal(t, "basic_action", body.Suberror)
			}
			assert.NotContains(t, err.Error(), tt.password, "the password must not appear in errors")
		})
	}
}

// TestUsernamePasswordAfterInteractiveConsent: once the user consented on the sign-in
// page, the password grant works for an app without admin consent.
func TestUsernamePasswordAfterInteractiveConsent(t *testing.T) {
	s := newServer(t, nil)
	const appID = "33333333-0000-4000-8000-000000000003"
	s.AddApp(entratest.App{ClientID: appID, PublicClient: true, RedirectURIs: []string{"http://localhost"}})
	c, err := public.New(appID, public.WithAuthority(s.URL()+"/organizations"),
		public.WithHTTPClient(s.Client()), public.WithInstanceDiscovery(false))
	require.NoError(t, err)
	_, err = c.AcquireTokenByUsernamePassword(t.Context(), []string{armScope}, entratest.DefaultUsername, entratest.DefaultPassword)
	require.ErrorContains(t, err, "AADSTS65001")

	ctx := t.Context()
	_, err = c.AcquireTokenInteractive(ctx, []string{armScope}, openURL(ctx, s.Browser(entratest.DefaultUsername, entratest.DefaultPassword)))
	require.NoError(t, err)
	assert.Equal(t, 1, countConsentPages(s))

	_, err = c.AcquireTokenByUsernamePassword(t.Context(), []string{armScope}, entratest.DefaultUsername, entratest.DefaultPassword)
	require.NoError(t, err)
}

// countConsentPages counts the consent pages accepted, by their form posts.
func countConsentPages(s *entratest.Server) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Endpoint == entratest.EndpointLogin && r.Form.Get("action") == "accept" {
			n++
		}
	}
	return n
}
