package azinteractive_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signInAtPublicCloud signs the default user in to tenant on the public cloud
// (routed to srv) over a fresh persistent cache, with access tokens that MSAL
// redeems at once, and returns the cache and the record.
func signInAtPublicCloud(t *testing.T, srv *entratest.Server, tenant string) (azinteractive.Cache, azinteractive.AuthenticationRecord) {
	t.Helper()
	c, err := cache.New(&cache.Options{Directory: t.TempDir(), AllowUnencryptedStorage: true})
	require.NoError(t, err)
	a := &approver{srv: srv}
	first, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: publicCloudOptions(srv), UserPrompt: a.prompt, Cache: c, TenantID: tenant,
	})
	require.NoError(t, err)
	rec, err := first.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	srv.ResetRequests()
	return c, rec
}

func sentWithPaths(srv *entratest.Server) (eps []entratest.Endpoint, paths []string) {
	for _, r := range srv.Requests() {
		eps = append(eps, r.Endpoint)
		paths = append(paths, r.Host+r.Path)
	}
	return eps, paths
}

// A record from another cloud doesn't make its tenant known on this one
// (signedInTenant's sameCloud, which TestKnownOpenIDConfiguration stubs).
func TestRecordOfAnotherCloudMakesNoTenantKnown(t *testing.T) {
	srv := entratest.NewServer(&entratest.Options{AccessTokenLifetime: time.Minute})
	defer srv.Close()
	c, rec := signInAtPublicCloud(t, srv, entratest.DefaultTenantID)
	rec.Authority = "login.microsoftonline.us" // the same tenant ID, signed in on US Government

	opts := publicCloudOptions(srv)
	opts.Cloud = cloud.AzurePublic // else the record's authority would pick the host
	later, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: opts, Cache: c, AuthenticationRecord: rec, TenantID: entratest.DefaultTenantID,
		DisableAutomaticAuthentication: true,
	})
	require.NoError(t, err)
	_, err = later.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	eps, _ := sentWithPaths(srv)
	assert.Equal(t, []entratest.Endpoint{entratest.EndpointOpenIDConfig, entratest.EndpointToken}, eps,
		"a tenant signed in to on another cloud is asked of this cloud's Entra ID")
}

// A TenantID in capitals (as copied from some portals) is the record's
// tenant, whose tid is in lower case; the endpoints answered keep the
// caller's case, which Entra ID's paths ignore.
func TestTenantIDInCapitalsIsTheRecordsTenant(t *testing.T) {
	srv := entratest.NewServer(&entratest.Options{AccessTokenLifetime: time.Minute})
	defer srv.Close()
	upper := strings.ToUpper(entratest.DefaultTenantID)
	c, rec := signInAtPublicCloud(t, srv, upper)
	require.Equal(t, entratest.DefaultTenantID, rec.TenantID, "the record has the token's tid, in lower case")

	later, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: publicCloudOptions(srv), Cache: c, AuthenticationRecord: rec, TenantID: upper,
		DisableAutomaticAuthentication: true,
	})
	require.NoError(t, err)
	tok, err := later.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	_, err = srv.VerifyAccessToken(tok.Token)
	require.NoError(t, err)
	eps, paths := sentWithPaths(srv)
	assert.Equal(t, []entratest.Endpoint{entratest.EndpointToken}, eps)
	assert.Equal(t, []string{"login.microsoftonline.com/" + upper + "/oauth2/v2.0/token"}, paths)
}

// The per-request tenant (WithTenantID) and the CAE client: a
// credential on "organizations" whose record names tenant T: a request naming
// T, and a CAE request, each resolve T's configuration in their own MSAL
// client; both are answered, and the refresh goes to T's token endpoint.
func TestRecordsTenantIsKnownPerRequestAndInCAE(t *testing.T) {
	srv := entratest.NewServer(&entratest.Options{AccessTokenLifetime: time.Minute})
	defer srv.Close()
	c, rec := signInAtPublicCloud(t, srv, "")
	later, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: publicCloudOptions(srv), Cache: c, AuthenticationRecord: rec, TenantID: "organizations",
		DisableAutomaticAuthentication: true,
	})
	require.NoError(t, err)
	for _, cae := range []bool{false, true} {
		tok, err := later.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, TenantID: rec.TenantID, EnableCAE: cae})
		require.NoError(t, err, "CAE %v", cae)
		_, err = srv.VerifyAccessToken(tok.Token)
		require.NoError(t, err)
	}
	eps, paths := sentWithPaths(srv)
	assert.Equal(t, []entratest.Endpoint{entratest.EndpointToken, entratest.EndpointToken}, eps)
	for _, p := range paths {
		assert.Equal(t, "login.microsoftonline.com/"+rec.TenantID+"/oauth2/v2.0/token", p)
	}
}

// signedInTenant reads the session while sign-outs and sign-ins replace
// it, from both MSAL clients and several tenants at once. Run with -race.
func TestSignedInTenantUnderConcurrentSessionChanges(t *testing.T) {
	srv := entratest.NewServer(&entratest.Options{AccessTokenLifetime: time.Minute})
	defer srv.Close()
	other := "0b0b0b0b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
	srv.AddTenant(entratest.Tenant{ID: other})
	c, rec := signInAtPublicCloud(t, srv, "")
	a := &approver{srv: srv}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: publicCloudOptions(srv), Cache: c, AuthenticationRecord: rec, TenantID: "organizations",
		UserPrompt: a.prompt,
	})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tenant := []string{rec.TenantID, other, ""}[i%3]
			_, _ = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, TenantID: tenant, EnableCAE: i%2 == 0})
		}(i)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = cred.SignOut(t.Context())
		_, _ = cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	}()
	wg.Wait()
	// The unknown tenant was asked of Entra ID whenever it was resolved.
	var asked bool
	for _, r := range srv.Requests() {
		if r.Endpoint == entratest.EndpointOpenIDConfig && strings.Contains(r.Path, other) {
			asked = true
		}
	}
	for _, r := range srv.Requests() {
		if r.Endpoint == entratest.EndpointToken && strings.Contains(r.Path, other) {
			assert.True(t, asked, "a token request to %s without its configuration from Entra ID", other)
		}
	}
}
