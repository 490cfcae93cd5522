package azinteractive

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	msalcache "github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/internal/tokencache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A silent call in flight when SignOut runs must not bring the user back:
// its token is neither served nor indexed, and nothing is served after.
func TestCoreSignOutDuringSilentCall(t *testing.T) {
	f := newCoreFixture(t, coreOptions{AuthenticationRecord: fakeRecord("alice"), DisableAutomaticAuthentication: true}, nil)
	entered, release := make(chan struct{}), make(chan struct{})
	f.backend.silentF = func(r tokenRequest) (tokenResult, error) {
		close(entered)
		<-release
		return fakeResult("alice", "fetched-before-sign-out", time.Hour), nil
	}
	errc := make(chan error, 1)
	go func() {
		_, err := f.cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: armScope})
		errc <- err
	}()
	<-entered
	require.NoError(t, f.cred.SignOut(t.Context()))
	close(release)

	err := <-errc
	var required *AuthenticationRequiredError
	require.ErrorAs(t, err, &required, "the call that began before SignOut gets no token of the signed-out user")
	assert.Equal(t, []string{"alice-oid.tenant-id"}, f.backend.removed)

	f.backend.silentF = nil
	_, err = f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.ErrorAs(t, err, &required, "nothing was indexed for the signed-out user")
	assert.Len(t, f.backend.callsOf("silent"), 1, "no account after SignOut: no silent call either")
}

// A sign-in that finishes after SignOut was called doesn't start a session.
func TestCoreSignOutDuringSignIn(t *testing.T) {
	s := &fakeSignIn{block: make(chan struct{})}
	f := newCoreFixture(t, coreOptions{DisableAutomaticAuthentication: true}, s)
	errc := make(chan error, 1)
	go func() {
		_, err := f.cred.Authenticate(context.Background(), nil)
		errc <- err
	}()
	require.Eventually(t, func() bool { return s.prompts.Load() == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, f.cred.SignOut(t.Context()))
	close(s.block)
	err := <-errc
	var failed *AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Contains(t, err.Error(), "SignOut")
	assert.Nil(t, f.cred.session.Load().record)
	_, err = f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var required *AuthenticationRequiredError
	require.ErrorAs(t, err, &required)
}

// Expiry is judged on the wall clock: a laptop that slept past a token's
// refresh time (the monotonic clock stood still) must not be served it.
func TestCoreWarmIndexJudgesWallClock(t *testing.T) {
	f := newCoreFixture(t, coreOptions{}, nil)
	opts := policy.TokenRequestOptions{Scopes: armScope}
	_, err := f.cred.GetToken(t.Context(), opts)
	require.NoError(t, err)
	_, err = f.cred.GetToken(t.Context(), opts)
	require.NoError(t, err)
	require.Zero(t, f.backend.silentCalls(), "warm")

	// The machine slept two hours: the wall clock moved, the monotonic
	// clock (which time.Since and friends use) did not.
	slept := time.Now().Add(2 * time.Hour).Round(0)
	f.cred.now = func() time.Time { return slept }
	_, err = f.cred.GetToken(t.Context(), opts)
	require.NoError(t, err)
	assert.Equal(t, 1, f.backend.silentCalls(), "the expired token went back to the backend")
}

// Refreshing a key's token stores into its slot: the index isn't copied.
func TestCoreRefreshUpdatesIndexInPlace(t *testing.T) {
	f := newCoreFixture(t, coreOptions{}, nil)
	opts := policy.TokenRequestOptions{Scopes: armScope}
	_, err := f.cred.GetToken(t.Context(), opts)
	require.NoError(t, err)
	before := f.cred.session.Load()

	f.cred.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	f.backend.silentF = func(tokenRequest) (tokenResult, error) {
		return fakeResult("alice", "refreshed", 4*time.Hour), nil
	}
	tk, err := f.cred.GetToken(t.Context(), opts)
	require.NoError(t, err)
	assert.Equal(t, "refreshed", tk.Token)
	assert.Same(t, before, f.cred.session.Load(), "an existing key's refresh publishes no new session or index")
	tk, err = f.cred.GetToken(t.Context(), opts)
	require.NoError(t, err)
	assert.Equal(t, "refreshed", tk.Token)
	assert.Equal(t, 1, f.backend.silentCalls())
}

// Every shape of request that names the same token finds it warm: the fast
// path and the general one agree.
func TestCoreIndexKeysAgree(t *testing.T) {
	f := newCoreFixture(t, coreOptions{TenantID: "tenant-id"}, nil)
	_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	for _, opts := range []policy.TokenRequestOptions{
		{Scopes: armScope},
		{Scopes: armScope, TenantID: "tenant-id"},
		{Scopes: []string{armScope[0], armScope[0]}},
	} {
		_, err := f.cred.GetToken(t.Context(), opts)
		require.NoError(t, err)
		_, err = f.cred.GetTokenInfo(t.Context(), opts)
		require.NoError(t, err)
	}
	assert.Zero(t, f.backend.silentCalls())
	assert.EqualValues(t, 1, f.signIn.prompts.Load())
}

// The core tells the backend the request as resolved: tenant, claims, CAE,
// and the signed-in account.
func TestCorePassesRequestToBackend(t *testing.T) {
	f := newCoreFixture(t, coreOptions{AuthenticationRecord: fakeRecord("alice"), AdditionallyAllowedTenants: []string{"*"}, DisableAutomaticAuthentication: true}, nil)
	f.backend.silentF = func(tokenRequest) (tokenResult, error) { return fakeResult("alice", "t", time.Hour), nil }
	opts := policy.TokenRequestOptions{Scopes: armScope, TenantID: "other-tenant", Claims: `{"access_token":{"nbf":{"essential":true}}}`, EnableCAE: true}
	_, err := f.cred.GetToken(t.Context(), opts)
	require.NoError(t, err)
	calls := f.backend.callsOf("silent")
	require.Len(t, calls, 1)
	assert.Equal(t, tokenRequest{Scopes: armScope, Claims: opts.Claims, TenantID: "other-tenant", EnableCAE: true}, calls[0].r)
	assert.Equal(t, "alice-oid.tenant-id", calls[0].account)
}

// fakeMSAL fakes MSAL's public client for the MSAL backend's own tests.
type fakeMSAL struct {
	msalClient // nil: the flows these tests don't use panic
	silentF    func(scopes []string) (public.AuthResult, error)
	calls      int
}

func (f *fakeMSAL) AcquireTokenSilent(_ context.Context, scopes []string, _ ...public.AcquireSilentOption) (public.AuthResult, error) {
	f.calls++
	return f.silentF(scopes)
}

func newTestMSALBackend(t *testing.T, acquire acquireFunc) (*msalBackend, [2]*fakeMSAL) {
	store, err := tokencache.Open(Cache{}, nil)
	require.NoError(t, err)
	var clients [2]*fakeMSAL
	b, err := msalBackendFactory(acquire, func(cae bool, _ msalcache.ExportReplace) (msalClient, error) {
		c := &fakeMSAL{}
		if cae {
			clients[1] = c
		} else {
			clients[0] = c
		}
		return c, nil
	})(backendConfig{name: "TestCredential", store: store, now: time.Now})
	require.NoError(t, err)
	return b.(*msalBackend), clients
}

func msalResult(token string, life time.Duration) public.AuthResult {
	ar := public.AuthResult{AccessToken: token, ExpiresOn: time.Now().Add(life)}
	ar.Account.HomeAccountID = "alice-oid.tenant-id"
	ar.IDToken.Issuer = "https://login.microsoftonline.com/tenant-id/v2.0"
	ar.IDToken.TenantID = "tenant-id"
	ar.IDToken.Audience = developerSignOnClientID
	ar.IDToken.PreferredUsername = "alice@contoso.com"
	return ar
}

func TestMSALBackendProactiveRefreshFailureServesValidToken(t *testing.T) {
	b, clients := newTestMSALBackend(t, nil)
	clients[0].silentF = func([]string) (public.AuthResult, error) {
		return msalResult("still-valid", 30*time.Minute), errors.New("refresh failed: 503")
	}
	res, err := b.silent(t.Context(), tokenRequest{Scopes: armScope}, fakeRecord("alice"))
	require.NoError(t, err)
	assert.Equal(t, "still-valid", res.Token)

	clients[0].silentF = func([]string) (public.AuthResult, error) {
		return msalResult("expired", -time.Minute), errors.New("refresh failed: 503")
	}
	_, err = b.silent(t.Context(), tokenRequest{Scopes: armScope}, fakeRecord("alice"))
	require.ErrorContains(t, err, "503", "an expired token isn't served when the refresh fails")
}

func TestMSALBackendCAEUsesItsOwnClient(t *testing.T) {
	var gotCAE msalClient
	b, clients := newTestMSALBackend(t, func(_ context.Context, c msalClient, r tokenRequest) (public.AuthResult, error) {
		gotCAE = c
		return msalResult("t", time.Hour), nil
	})
	res, err := b.interactive(t.Context(), tokenRequest{Scopes: armScope, EnableCAE: true})
	require.NoError(t, err)
	assert.Same(t, clients[1], gotCAE, "a CAE request signs in through the CAE client")
	assert.Equal(t, "alice@contoso.com", res.Account.Username)
	assert.Equal(t, "tenant-id", res.Account.TenantID)

	clients[0].silentF = func([]string) (public.AuthResult, error) { return msalResult("t", time.Hour), nil }
	_, err = b.silent(t.Context(), tokenRequest{Scopes: armScope}, fakeRecord("alice"))
	require.NoError(t, err)
	assert.Equal(t, 1, clients[0].calls)
	assert.Zero(t, clients[1].calls)
}
