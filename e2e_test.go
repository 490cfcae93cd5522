package azinteractive_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var armScope = []string{"https://management.azure.com/.default"}

// clientOptions points a credential at srv by authority host.
func clientOptions(srv *entratest.Server) azcore.ClientOptions {
	return azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()}
}

// memoryOptions is clientOptions with srv in memory (srv.Transport), for
// synctest bubbles: no sockets, so the bubble's clock runs.
func memoryOptions(srv *entratest.Server) azcore.ClientOptions {
	return azcore.ClientOptions{Transport: &http.Client{Transport: srv.Transport()}, Cloud: srv.Cloud()}
}

// publicCloudOptions keeps the public cloud's authority host, instance
// discovery on: srv.Client routes login.microsoftonline.com to srv.
func publicCloudOptions(srv *entratest.Server) azcore.ClientOptions {
	return azcore.ClientOptions{Transport: srv.Client()}
}

// approver is a device code prompt that approves every code as user,
// counting prompts.
type approver struct {
	srv     *entratest.Server
	user    string
	prompts atomic.Int32
	last    atomic.Pointer[azinteractive.DeviceCodeMessage]
}

func (a *approver) prompt(_ context.Context, m azinteractive.DeviceCodeMessage) error {
	a.prompts.Add(1)
	a.last.Store(&m)
	user := a.user
	if user == "" {
		user = entratest.DefaultUsername
	}
	return a.srv.ApproveDeviceCode(m.UserCode, user)
}

// countRequests counts srv's requests to ep.
func countRequests(srv *entratest.Server, ep entratest.Endpoint) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == ep {
			n++
		}
	}
	return n
}

func TestDeviceCodeEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(*entratest.Server) azcore.ClientOptions
		disc bool
	}{
		{"emulator host", clientOptions, false},
		{"emulator host, discovery off", clientOptions, true},
		{"public cloud host, discovery on", publicCloudOptions, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := entratest.NewServer(nil)
			defer srv.Close()
			a := &approver{srv: srv}
			cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: tc.opts(srv), UserPrompt: a.prompt, DisableInstanceDiscovery: tc.disc,
			})
			require.NoError(t, err)

			info, err := cred.GetTokenInfo(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)
			claims, err := srv.VerifyAccessToken(info.Token)
			require.NoError(t, err)
			assert.Equal(t, "https://management.azure.com", claims["aud"])
			assert.Equal(t, entratest.DefaultUsername, claims["upn"])
			assert.Equal(t, entratest.DefaultUsername, info.Account.Username)
			assert.Equal(t, "Bearer", info.TokenType)
			assert.WithinDuration(t, time.Now().Add(time.Hour), info.ExpiresOn, 5*time.Minute)
			m := a.last.Load()
			require.NotNil(t, m)
			assert.Contains(t, m.Message, m.UserCode)
			assert.Contains(t, m.VerificationURL, "/devicelogin")
			assert.WithinDuration(t, time.Now().Add(15*time.Minute), m.ExpiresOn, time.Minute)

			tokens := countRequests(srv, entratest.EndpointToken)
			tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)
			assert.Equal(t, info.Token, tk.Token)
			assert.Equal(t, tokens, countRequests(srv, entratest.EndpointToken), "the second GetToken is silent")

			// Another scope: the refresh token, not the user.
			_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
			require.NoError(t, err)
			assert.EqualValues(t, 1, a.prompts.Load())
		})
	}
}

func TestDeviceCodeDeniedAndExpired(t *testing.T) {
	t.Run("denied", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: clientOptions(srv),
			UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
				return srv.DenyDeviceCode(m.UserCode)
			},
		})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		var failed *azinteractive.AuthenticationFailedError
		require.ErrorAs(t, err, &failed)
		assert.Equal(t, "authorization_declined", failed.ErrorCode)
		assert.Contains(t, err.Error(), "DeviceCodeCredential: ")
		assert.Contains(t, err.Error(), "declined")
	})
	t.Run("expired", func(t *testing.T) {
		srv := entratest.NewServer(&entratest.Options{DeviceCodeLifetime: time.Second})
		defer srv.Close()
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: clientOptions(srv),
			UserPrompt:    func(context.Context, azinteractive.DeviceCodeMessage) error { return nil },
		})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		var failed *azinteractive.AuthenticationFailedError
		require.ErrorAs(t, err, &failed)
		assert.Contains(t, err.Error(), "expired")
	})
	t.Run("timeout", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: clientOptions(srv),
			Timeout:       300 * time.Millisecond,
			UserPrompt:    func(context.Context, azinteractive.DeviceCodeMessage) error { return nil },
		})
		require.NoError(t, err)
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "didn't finish signing in within 300ms")
	})
}

func TestUsernamePasswordEndToEnd(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	srv.AddUser(entratest.User{Username: "mfa@contoso.com", Password: "pw-mfa", MFARequired: true})
	srv.AddUser(entratest.User{Username: "off@contoso.com", Password: "pw-off", Disabled: true})
	srv.AddUser(entratest.User{Username: "me@outlook.com", Password: "pw-msa", PersonalAccount: true})
	srv.AddApp(entratest.App{ClientID: "c0ffee00-0000-4000-8000-000000000001", PublicClient: true, ConsentGranted: false, RedirectURIs: []string{"http://localhost"}})

	cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
		entratest.DefaultUsername, entratest.DefaultPassword, &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv)})
	require.NoError(t, err)
	rec, err := cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, entratest.DefaultUsername, rec.Username)
	assert.Equal(t, entratest.DefaultTenantID, rec.TenantID)
	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	_, err = srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)

	cases := []struct {
		name, user, password, clientID string
		code                           int
		hint                           string
	}{
		{"bad password", entratest.DefaultUsername, "pw-wrong-7", entratest.DefaultClientID, 50126, "Check the username and password"},
		{"unknown user", "nobody@contoso.com", "pw-nobody-7", entratest.DefaultClientID, 50034, "doesn't exist"},
		{"mfa required", "mfa@contoso.com", "pw-mfa", entratest.DefaultClientID, 50076, "use InteractiveBrowserCredential or DeviceCodeCredential"},
		{"disabled", "off@contoso.com", "pw-off", entratest.DefaultClientID, 50057, "disabled"},
		{"unknown app", entratest.DefaultUsername, entratest.DefaultPassword, "00000000-0000-0000-0000-0000000000ff", 700016, "check ClientID and TenantID"},
		{"consent required", entratest.DefaultUsername, entratest.DefaultPassword, "c0ffee00-0000-4000-8000-000000000001", 65001, "needs consent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, tc.clientID, tc.user, tc.password,
				&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv)})
			require.NoError(t, err)
			_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			var failed *azinteractive.AuthenticationFailedError
			require.ErrorAs(t, err, &failed)
			assert.Contains(t, failed.ErrorCodes, tc.code)
			assert.Contains(t, err.Error(), tc.hint)
			assert.Contains(t, err.Error(), "UsernamePasswordCredential: ")
			assert.NotContains(t, err.Error(), tc.password)
			require.NotNil(t, failed.RawResponse)
			assert.Equal(t, 400, failed.RawResponse.StatusCode)
			if tc.code == 50076 {
				assert.NotEmpty(t, failed.Claims, "the MFA error carries the claims challenge")
			}
		})
	}
}

func TestBrowserEndToEnd(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	var opened atomic.Int32
	browser := srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: clientOptions(srv),
		LoginHint:     entratest.DefaultUsername,
		OpenURL: func(ctx context.Context, u string) error {
			opened.Add(1)
			return browser(ctx, u)
		},
	})
	require.NoError(t, err)
	rec, err := cred.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, entratest.DefaultUsername, rec.Username)

	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	claims, err := srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	assert.Equal(t, "https://management.azure.com", claims["aud"])
	assert.EqualValues(t, 1, opened.Load(), "Authenticate's sign-in serves GetToken")
	assert.Empty(t, srv.BrowserErrors())
}

func TestBrowserCancel(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: clientOptions(srv), OpenURL: srv.CancelBrowser(),
	})
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, "access_denied", failed.ErrorCode)
	assert.Contains(t, err.Error(), "canceled")
}

func TestBrowserTimeout(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: clientOptions(srv),
		Timeout:       200 * time.Millisecond,
		OpenURL:       func(context.Context, string) error { return nil }, // the user never comes back
	})
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Contains(t, err.Error(), "didn't finish signing in within 200ms")
}

// TestCAEOneSignIn: azcore's BearerTokenPolicy asks for CAE tokens; a sign-in
// through Authenticate (non-CAE) must serve them without a second prompt.
func TestCAEOneSignIn(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	a := &approver{srv: srv}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{ClientOptions: clientOptions(srv), UserPrompt: a.prompt})
	require.NoError(t, err)
	_, err = cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
	require.NoError(t, err)
	assert.EqualValues(t, 1, a.prompts.Load())
	claims, err := srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	assert.Equal(t, []any{"CP1"}, claims["xms_cc"], "the CAE request got a CAE token")

	// A claims challenge after the session is revoked: the refresh token
	// with the claims gets a fresh token, still without a prompt.
	challenge := srv.RevokeSessions(entratest.DefaultUsername)
	_, err = srv.VerifyAccessToken(tk.Token)
	var cce *entratest.ClaimsChallengeError
	require.ErrorAs(t, err, &cce)
	fresh, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true, Claims: challenge})
	require.NoError(t, err)
	assert.NotEqual(t, tk.Token, fresh.Token)
	_, err = srv.VerifyAccessToken(fresh.Token)
	require.NoError(t, err)
	assert.EqualValues(t, 1, a.prompts.Load())
}

func TestSilentRefreshNearExpiry(t *testing.T) {
	// MSAL doesn't serve tokens within 5 minutes of expiry, so a 5m1s token
	// needs a refresh a second after it's issued. MSAL judges that on its own
	// clock (time.Now) from expires_in, and so does the server: in a synctest
	// bubble, with the server in memory, that second passes on the bubble's
	// clock at once.
	srv := entratest.NewServer(&entratest.Options{AccessTokenLifetime: 5*time.Minute + time.Second})
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		a := &approver{srv: srv}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{ClientOptions: memoryOptions(srv), UserPrompt: a.prompt})
		require.NoError(t, err)
		first, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		cached, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		require.Equal(t, first.Token, cached.Token, "more than 5 minutes before expiry, the cached token")

		time.Sleep(1100 * time.Millisecond) // the bubble's clock: no real time passes
		second, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		assert.NotEqual(t, first.Token, second.Token)
		assert.EqualValues(t, 1, a.prompts.Load(), "refreshed with the refresh token")
	})
}

func TestTenants(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	const other = "0ed1e55e-0000-4000-8000-00000000beef"
	srv.AddTenant(entratest.Tenant{ID: other, Domain: "fabrikam.com"})
	srv.AddUser(entratest.User{Username: "bob@fabrikam.com", Password: "pw-bob", TenantID: other})

	t.Run("specific tenant", func(t *testing.T) {
		a := &approver{srv: srv}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: clientOptions(srv), TenantID: entratest.DefaultTenantID, UserPrompt: a.prompt,
		})
		require.NoError(t, err)
		tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		claims, err := srv.VerifyAccessToken(tk.Token)
		require.NoError(t, err)
		assert.Equal(t, entratest.DefaultTenantID, claims["tid"])
		_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, TenantID: other})
		require.ErrorContains(t, err, "AdditionallyAllowedTenants")
	})
	t.Run("allowed tenant", func(t *testing.T) {
		a := &approver{srv: srv, user: "bob@fabrikam.com"}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: clientOptions(srv), TenantID: entratest.DefaultTenantID, UserPrompt: a.prompt,
			AdditionallyAllowedTenants: []string{other},
		})
		require.NoError(t, err)
		tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, TenantID: other})
		require.NoError(t, err)
		claims, err := srv.VerifyAccessToken(tk.Token)
		require.NoError(t, err)
		assert.Equal(t, other, claims["tid"])
	})
}

func TestDisableAutomaticAuthenticationAndSignOut(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	a := &approver{srv: srv}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(srv), UserPrompt: a.prompt, DisableAutomaticAuthentication: true,
	})
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var required *azinteractive.AuthenticationRequiredError
	require.ErrorAs(t, err, &required)
	assert.Equal(t, armScope, required.TokenRequestOptions.Scopes)
	assert.Zero(t, countRequests(srv, entratest.EndpointToken), "no network before sign-in")

	rec, err := cred.Authenticate(t.Context(), &required.TokenRequestOptions)
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)

	require.NoError(t, cred.SignOut(t.Context()))
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.ErrorAs(t, err, &required)

	// The old record no longer finds tokens either.
	again, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions(srv), UserPrompt: a.prompt, DisableAutomaticAuthentication: true, AuthenticationRecord: rec,
	})
	require.NoError(t, err)
	_, err = again.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.ErrorAs(t, err, &required)
}

// TestContextErrorsEveryCredential: errors.Is(err, ctx.Err()) on every path.
func TestContextErrorsEveryCredential(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	srv.InjectFault(entratest.EndpointToken, 1000, entratest.Fault{Delay: time.Minute})
	srv.InjectFault(entratest.EndpointDeviceCode, 1000, entratest.Fault{Delay: time.Minute})
	creds := map[string]func() (azcore.TokenCredential, error){
		"browser": func() (azcore.TokenCredential, error) {
			return azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
				ClientOptions: clientOptions(srv), OpenURL: func(context.Context, string) error { return nil }})
		},
		"device code": func() (azcore.TokenCredential, error) {
			return azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{ClientOptions: clientOptions(srv)})
		},
		"username password": func() (azcore.TokenCredential, error) {
			return azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultUsername, entratest.DefaultPassword,
				&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions(srv)})
		},
	}
	ctxs := map[string]func() (context.Context, context.CancelFunc, error){
		"canceled": func() (context.Context, context.CancelFunc, error) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel, context.Canceled
		},
		"deadline": func() (context.Context, context.CancelFunc, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			return ctx, cancel, context.DeadlineExceeded
		},
	}
	for cname, newCred := range creds {
		for xname, newCtx := range ctxs {
			t.Run(cname+"/"+xname, func(t *testing.T) {
				cred, err := newCred()
				require.NoError(t, err)
				ctx, cancel, want := newCtx()
				defer cancel()
				_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
				require.ErrorIs(t, err, want)
				var failed *azinteractive.AuthenticationFailedError
				assert.True(t, errors.As(err, &failed), "%T: %v", err, err)
			})
		}
	}
}

// TestProactiveRefreshFailureKeepsValidToken: past refresh_in, MSAL refreshes
// ahead of expiry; when that fails, the still-valid token beats a prompt.
func TestProactiveRefreshFailureKeepsValidToken(t *testing.T) {
	srv := entratest.NewServer(&entratest.Options{RefreshIn: time.Second})
	defer srv.Close()
	// MSAL and the server read time.Now: in a synctest bubble, with the
	// server in memory, the wait for refresh_in takes no real time.
	synctest.Test(t, func(t *testing.T) {
		a := &approver{srv: srv}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{ClientOptions: memoryOptions(srv), UserPrompt: a.prompt})
		require.NoError(t, err)
		first, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		require.False(t, first.RefreshOn.IsZero(), "RefreshOn is passed on for azcore's BearerTokenPolicy")
		tokenRequests := countRequests(srv, entratest.EndpointToken)
		time.Sleep(time.Until(first.RefreshOn) + 100*time.Millisecond) // the bubble's clock

		srv.InjectFault(entratest.EndpointToken, 1, entratest.Fault{Status: http.StatusBadRequest})
		same, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		assert.Equal(t, first.Token, same.Token)
		assert.Equal(t, tokenRequests+1, countRequests(srv, entratest.EndpointToken), "past refresh_in, MSAL tried to refresh")
		assert.EqualValues(t, 1, a.prompts.Load())

		fresh, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		assert.NotEqual(t, first.Token, fresh.Token, "the next call refreshes")
		assert.EqualValues(t, 1, a.prompts.Load())
	})
}
