package azinteractive_test

import (
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A credential that starts over a cache whose access token has expired (a
// new process, an hour later) redeems its refresh token with one request
// when its authority is on Microsoft's clouds: the OpenID configuration of
// the tenant its user signed in to, or of "organizations", has a known
// shape there. Any other authority host is still asked for both.
func TestExpiredTokenNeedsOnlyTheTokenRequest(t *testing.T) {
	const answered = "answered in process (its endpoints are the tenant's path on that host); no request sent"
	for _, tc := range []struct {
		name   string
		tenant string
		opts   func(*entratest.Server) azcore.ClientOptions
		// wantSignIn is what the sign-in sends before the device code
		// request; want is what the later credential sends.
		wantSignIn, want []entratest.Endpoint
	}{
		{name: "public cloud, the signed-in tenant", tenant: entratest.DefaultTenantID, opts: publicCloudOptions,
			// Nobody has signed in to the tenant yet: Entra ID says whether it exists.
			wantSignIn: []entratest.Endpoint{entratest.EndpointOpenIDConfig},
			want:       []entratest.Endpoint{entratest.EndpointToken}},
		{name: "public cloud, organizations", opts: publicCloudOptions,
			want: []entratest.Endpoint{entratest.EndpointToken}},
		{name: "another authority host", tenant: entratest.DefaultTenantID, opts: clientOptions,
			wantSignIn: []entratest.Endpoint{entratest.EndpointDiscovery, entratest.EndpointOpenIDConfig},
			// MSAL for Go validates the host twice: before its cache and
			// before the configuration.
			want: []entratest.Endpoint{entratest.EndpointDiscovery, entratest.EndpointDiscovery, entratest.EndpointOpenIDConfig, entratest.EndpointToken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// MSAL redeems the refresh token for an access token with less
			// than five minutes left.
			srv := entratest.NewServer(&entratest.Options{AccessTokenLifetime: time.Minute})
			defer srv.Close()
			c, err := cache.New(&cache.Options{Directory: t.TempDir(), AllowUnencryptedStorage: true})
			require.NoError(t, err)
			a := &approver{srv: srv}
			first, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: tc.opts(srv), UserPrompt: a.prompt, Cache: c, TenantID: tc.tenant,
			})
			require.NoError(t, err)
			rec, err := first.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)
			assert.Equal(t, tc.wantSignIn, sentBefore(srv, entratest.EndpointDeviceCode), "what the sign-in sent before its device code request")

			srv.ResetRequests()
			lines := captureLog(t, azinteractive.EventAuthentication)
			opts := tc.opts(srv)
			sends := &countingTransport{base: opts.Transport}
			opts.Transport = sends
			later, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: opts, Cache: c, AuthenticationRecord: rec, TenantID: tc.tenant, DisableAutomaticAuthentication: true,
			})
			require.NoError(t, err)
			tok, err := later.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)
			_, err = srv.VerifyAccessToken(tok.Token)
			require.NoError(t, err, "a token the server issued")
			var sent []entratest.Endpoint
			for _, r := range srv.Requests() {
				sent = append(sent, r.Endpoint)
			}
			assert.Equal(t, tc.want, sent)
			assert.EqualValues(t, len(tc.want), sends.n.Load(), "what the credential sent, reached the server or not")
			wantLog := !containsEndpoint(tc.want, entratest.EndpointOpenIDConfig)
			assert.Equal(t, wantLog, strings.Contains(strings.Join(lines(), "\n"), answered), "the log says when the configuration was answered in process")
			assert.EqualValues(t, 1, a.prompts.Load())
		})
	}
}

// A tenant ID nobody has signed in to may be mistyped: Entra ID's own
// answer to its OpenID configuration says so, before any prompt.
func TestUnknownTenantIsAskedOfEntraID(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	a := &approver{srv: srv}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: publicCloudOptions(srv), UserPrompt: a.prompt, TenantID: "0b0b0b0b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
	})
	require.NoError(t, err)
	_, err = cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AADSTS90002")
	var sent []entratest.Endpoint
	for _, r := range srv.Requests() {
		sent = append(sent, r.Endpoint)
	}
	assert.Equal(t, []entratest.Endpoint{entratest.EndpointOpenIDConfig}, sent)
	assert.Zero(t, a.prompts.Load())
}

// sentBefore is what the server received before the first request to ep.
func sentBefore(srv *entratest.Server, ep entratest.Endpoint) []entratest.Endpoint {
	var sent []entratest.Endpoint
	for _, r := range srv.Requests() {
		if r.Endpoint == ep {
			break
		}
		sent = append(sent, r.Endpoint)
	}
	return sent
}

func containsEndpoint(eps []entratest.Endpoint, ep entratest.Endpoint) bool {
	for _, e := range eps {
		if e == ep {
			return true
		}
	}
	return false
}
