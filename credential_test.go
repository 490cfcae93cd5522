package azinteractive

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/internal/tokencache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeMSAL is a narrow fake of MSAL's public client: a token cache keyed by
// account, tenant and scopes, filled by the fake sign-in.
type fakeMSAL struct {
	cae bool

	mu      sync.Mutex // guards the fields below
	tokens  map[string]public.AuthResult
	silent  int
	silentF func(scopes []string) (public.AuthResult, error) // overrides the cache when set
}

func (f *fakeMSAL) AcquireTokenSilent(_ context.Context, scopes []string, _ ...public.AcquireSilentOption) (public.AuthResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.silent++
	if f.silentF != nil {
		return f.silentF(scopes)
	}
	if ar, ok := f.tokens[strings.Join(scopes, " ")]; ok {
		return ar, nil
	}
	return public.AuthResult{}, errors.New("no token found")
}

func (f *fakeMSAL) put(scopes []string, ar public.AuthResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokens == nil {
		f.tokens = map[string]public.AuthResult{}
	}
	f.tokens[strings.Join(scopes, " ")] = ar
}

func (f *fakeMSAL) silentCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.silent
}

// fakeSignIn plays the user: it counts sign-ins, can block until released,
// and caches the token it returns in the fake client like MSAL would.
type fakeSignIn struct {
	prompts atomic.Int32
	block   chan struct{} // when not nil, each sign-in waits for it to close
	err     error
	user    string
}

func (s *fakeSignIn) acquire(ctx context.Context, client msalClient, r tokenRequest) (public.AuthResult, error) {
	s.prompts.Add(1)
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return public.AuthResult{}, ctx.Err()
		}
	}
	if s.err != nil {
		return public.AuthResult{}, s.err
	}
	user := s.user
	if user == "" {
		user = "alice"
	}
	ar := fakeResult(user, "token-for-"+strings.Join(r.Scopes, "+"), time.Hour)
	client.(*fakeMSAL).put(r.Scopes, ar)
	return ar, nil
}

func fakeResult(user, token string, life time.Duration) public.AuthResult {
	ar := public.AuthResult{AccessToken: token, ExpiresOn: time.Now().Add(life)}
	ar.Account.HomeAccountID = user + "-oid.tenant-id"
	ar.IDToken.Issuer = "https://login.microsoftonline.com/tenant-id/v2.0"
	ar.IDToken.TenantID = "tenant-id"
	ar.IDToken.Audience = developerSignOnClientID
	ar.IDToken.PreferredUsername = user + "@contoso.com"
	return ar
}

type coreFixture struct {
	cred    *credential
	clients [2]*fakeMSAL
	signIn  *fakeSignIn
}

func newCoreFixture(t testing.TB, o coreOptions, s *fakeSignIn) *coreFixture {
	t.Helper()
	if s == nil {
		s = &fakeSignIn{}
	}
	f := &coreFixture{signIn: s}
	newClient := func(cae bool, _ *tokencache.Cache) (msalClient, error) {
		c := &fakeMSAL{cae: cae}
		if cae {
			f.clients[1] = c
		} else {
			f.clients[0] = c
		}
		return c, nil
	}
	cred, err := newCredential("TestCredential", o, s.acquire, newClient)
	require.NoError(t, err)
	f.cred = cred
	return f
}

var armScope = []string{"https://management.azure.com/.default"}

func TestCoreSilentBeforeInteractive(t *testing.T) {
	f := newCoreFixture(t, coreOptions{}, nil)
	ctx := t.Context()

	tk, err := f.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, "token-for-https://management.azure.com/.default", tk.Token)
	assert.EqualValues(t, 1, f.signIn.prompts.Load(), "no account yet: the first call signs in")
	assert.Zero(t, f.clients[0].silentCalls(), "no account: MSAL's silent call can only fail, so it isn't made")

	// A second credential with the record goes to MSAL's cache, not the user.
	rec := *f.cred.record.Load()
	g := newCoreFixture(t, coreOptions{AuthenticationRecord: rec}, nil)
	g.clients[0].put(armScope, fakeResult("alice", "cached", time.Hour))
	tk, err = g.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, "cached", tk.Token)
	assert.Zero(t, g.signIn.prompts.Load())
	assert.Equal(t, 1, g.clients[0].silentCalls())
}

func TestCoreWarmPathSkipsMSAL(t *testing.T) {
	f := newCoreFixture(t, coreOptions{}, nil)
	ctx := t.Context()
	_, err := f.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	for range 100 {
		tk, err := f.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
		require.Equal(t, "token-for-https://management.azure.com/.default", tk.Token)
	}
	assert.Zero(t, f.clients[0].silentCalls(), "a warm token is served from the index")

	// Claims bypass the index: a claims challenge needs a new token.
	_, err = f.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope, Claims: `{"access_token":{}}`})
	require.NoError(t, err)
	assert.Equal(t, 1, f.clients[0].silentCalls())
}

func TestCoreIndexHonoursRefreshOn(t *testing.T) {
	rec := AuthenticationRecord{HomeAccountID: "alice-oid.tenant-id", Username: "alice@contoso.com", Version: "1.0"}
	f := newCoreFixture(t, coreOptions{AuthenticationRecord: rec}, nil)
	ar := fakeResult("alice", "old", time.Hour)
	ar.Metadata.RefreshOn = time.Now().Add(-time.Second) // refresh is due
	f.clients[0].put(armScope, ar)
	for range 3 {
		_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
	}
	assert.Equal(t, 3, f.clients[0].silentCalls(), "a token past its refresh-on time goes back to MSAL every time, which refreshes it")
}

func TestCoreProactiveRefreshFailureServesValidToken(t *testing.T) {
	rec := AuthenticationRecord{HomeAccountID: "alice-oid.tenant-id", Username: "alice@contoso.com", Version: "1.0"}
	f := newCoreFixture(t, coreOptions{AuthenticationRecord: rec}, nil)
	f.clients[0].silentF = func([]string) (public.AuthResult, error) {
		return fakeResult("alice", "still-valid", 30*time.Minute), errors.New("refresh failed: 503")
	}
	tk, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, "still-valid", tk.Token)
	assert.Zero(t, f.signIn.prompts.Load(), "a valid cached token beats a prompt")
}

func TestCoreDisableAutomaticAuthentication(t *testing.T) {
	f := newCoreFixture(t, coreOptions{DisableAutomaticAuthentication: true}, nil)
	opts := policy.TokenRequestOptions{Scopes: armScope, Claims: "c", EnableCAE: true}
	_, err := f.cred.GetToken(t.Context(), opts)
	var required *AuthenticationRequiredError
	require.ErrorAs(t, err, &required)
	assert.Equal(t, opts, required.TokenRequestOptions)
	var unavailable *CredentialUnavailableError
	assert.ErrorAs(t, err, &unavailable, "AuthenticationRequiredError is a kind of CredentialUnavailableError")
	assert.Zero(t, f.signIn.prompts.Load())

	// Authenticate always signs in, and then GetToken is silent.
	rec, err := f.cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, "alice@contoso.com", rec.Username)
	_, err = f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.EqualValues(t, 1, f.signIn.prompts.Load())
}

func TestCoreAuthenticateDefaultScope(t *testing.T) {
	var got []string
	s := &fakeSignIn{}
	f := newCoreFixture(t, coreOptions{}, s)
	f.cred.acquire = func(ctx context.Context, c msalClient, r tokenRequest) (public.AuthResult, error) {
		got = r.Scopes
		return s.acquire(ctx, c, r)
	}
	_, err := f.cred.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"https://management.core.windows.net//.default"}, got, "azidentity's default: ARM's audience plus /.default")
}

func TestCoreCAEUsesItsOwnClient(t *testing.T) {
	f := newCoreFixture(t, coreOptions{}, nil)
	_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
	require.NoError(t, err)
	assert.NotEmpty(t, f.clients[1].tokens, "the CAE request signed in through the CAE client")
	assert.Empty(t, f.clients[0].tokens)
}

func TestCoreRecordUpdatedAfterSignIn(t *testing.T) {
	s := &fakeSignIn{user: "alice"}
	f := newCoreFixture(t, coreOptions{}, s)
	rec, err := f.cred.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, "alice@contoso.com", rec.Username)
	_, err = f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)

	s.user = "bob"
	rec, err = f.cred.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, "bob@contoso.com", rec.Username)
	assert.Equal(t, "bob-oid.tenant-id", f.cred.record.Load().HomeAccountID)
	info, err := f.cred.GetTokenInfo(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, "bob@contoso.com", info.Account.Username, "alice's indexed token isn't served for bob")
}

func TestCoreRecordClientID(t *testing.T) {
	rec := AuthenticationRecord{ClientID: "11111111-1111-1111-1111-111111111111", HomeAccountID: "a.b", Version: "1.0"}
	f := newCoreFixture(t, coreOptions{AuthenticationRecord: rec}, nil)
	assert.Equal(t, rec.ClientID, f.cred.opts.ClientID, "an unset ClientID comes from the record")

	_, err := newCredential("TestCredential", coreOptions{AuthenticationRecord: rec, ClientID: "22222222-2222-2222-2222-222222222222"}, (&fakeSignIn{}).acquire,
		func(bool, *tokencache.Cache) (msalClient, error) { return &fakeMSAL{}, nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "11111111-1111-1111-1111-111111111111")
	assert.Contains(t, err.Error(), "ClientID")
}

func TestCoreErrorsWrapContext(t *testing.T) {
	cases := []struct {
		name string
		ctx  func(t *testing.T) context.Context
		want error
	}{
		{"canceled", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, context.Canceled},
		{"deadline", func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, context.DeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCoreFixture(t, coreOptions{}, &fakeSignIn{block: make(chan struct{})})
			_, err := f.cred.GetToken(tc.ctx(t), policy.TokenRequestOptions{Scopes: armScope})
			require.ErrorIs(t, err, tc.want)
			var failed *AuthenticationFailedError
			require.ErrorAs(t, err, &failed)
			assert.True(t, strings.HasPrefix(err.Error(), "TestCredential: "), err.Error())
		})
	}
}

func TestCoreOnePromptForManyGoroutines(t *testing.T) {
	s := &fakeSignIn{block: make(chan struct{})}
	f := newCoreFixture(t, coreOptions{}, s)
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			errs <- err
		})
	}
	require.Eventually(t, func() bool { return s.prompts.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let the others pile up behind the prompt
	close(s.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, s.prompts.Load())
}

func TestCoreWaiterHonoursItsDeadline(t *testing.T) {
	s := &fakeSignIn{block: make(chan struct{})}
	f := newCoreFixture(t, coreOptions{}, s)
	go func() { _, _ = f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope}) }()
	require.Eventually(t, func() bool { return s.prompts.Load() == 1 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	elapsed := time.Since(start)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// Not a timing assertion on the library's speed: the prompt is blocked
	// forever, so returning at all proves the waiter watched its own context.
	assert.Less(t, elapsed, 5*time.Second)
	close(s.block)
}

func TestCoreFailedSignInNotRepeatedForWaiters(t *testing.T) {
	s := &fakeSignIn{block: make(chan struct{}), err: errors.New("user said no")}
	f := newCoreFixture(t, coreOptions{}, s)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			assert.ErrorContains(t, err, "user said no")
		})
	}
	require.Eventually(t, func() bool { return s.prompts.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	close(s.block)
	wg.Wait()
	assert.EqualValues(t, 1, s.prompts.Load(), "goroutines waiting on a refused sign-in don't prompt again")
}

func TestCoreSignOut(t *testing.T) {
	f := newCoreFixture(t, coreOptions{DisableAutomaticAuthentication: true}, nil)
	_, err := f.cred.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	require.NoError(t, f.cred.SignOut(t.Context()))
	_, err = f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var required *AuthenticationRequiredError
	require.ErrorAs(t, err, &required)
}

func TestCoreRejectsBadRequestsBeforeNetwork(t *testing.T) {
	cases := []struct {
		name string
		opts policy.TokenRequestOptions
		want string
	}{
		{"no scope", policy.TokenRequestOptions{}, "at least one scope"},
		{"empty scope", policy.TokenRequestOptions{Scopes: []string{""}}, "empty scope"},
		{"space in scope", policy.TokenRequestOptions{Scopes: []string{"a b"}}, "space"},
		{"newline in scope", policy.TokenRequestOptions{Scopes: []string{"a\nb"}}, "control"},
		{"tenant traversal", policy.TokenRequestOptions{Scopes: armScope, TenantID: "../evil"}, "invalid"},
		{"tenant slash", policy.TokenRequestOptions{Scopes: armScope, TenantID: "a/b"}, "invalid"},
		{"tenant encoded", policy.TokenRequestOptions{Scopes: armScope, TenantID: "a%2Fb"}, "invalid"},
		{"tenant lookalike", policy.TokenRequestOptions{Scopes: armScope, TenantID: "contоso.com"}, "invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCoreFixture(t, coreOptions{}, nil)
			_, err := f.cred.GetToken(t.Context(), tc.opts)
			require.ErrorContains(t, err, tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "TestCredential"), err.Error())
			assert.Zero(t, f.signIn.prompts.Load())
			assert.Zero(t, f.clients[0].silentCalls())
		})
	}
}

func TestResolveTenant(t *testing.T) {
	cases := []struct {
		def, requested string
		allowed        []string
		want, wantErr  string
	}{
		{"organizations", "", nil, "organizations", ""},
		{"organizations", "other", nil, "other", ""},
		{"", "other", nil, "other", ""},
		{"mine", "", nil, "mine", ""},
		{"mine", "mine", nil, "mine", ""},
		{"mine", "other", nil, "", "the token request is for tenant \"other\", but TenantID is \"mine\""},
		{"mine", "other", []string{"other"}, "other", ""},
		{"mine", "other", []string{"*"}, "other", ""},
		{"mine", "third", []string{"other"}, "", "AdditionallyAllowedTenants"},
		{"adfs", "other", []string{"*"}, "", "ADFS doesn't support tenants"},
		{"organizations", "bad/tenant", []string{"*"}, "", "invalid"},
		{"mine", "", []string{"*"}, "mine", ""},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%v", tc.def, tc.requested, tc.allowed), func(t *testing.T) {
			got, err := resolveTenant("Cred", tc.def, tc.requested, normalizeAllowedTenants(tc.allowed))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestValidateAuthorityHost(t *testing.T) {
	cases := []struct {
		host, want string
		ok         bool
	}{
		{"https://login.microsoftonline.com/", "https://login.microsoftonline.com/", true},
		{"https://login.microsoftonline.com", "https://login.microsoftonline.com/", true},
		{"https://127.0.0.1:8443", "https://127.0.0.1:8443/", true},
		{"https://adfs.contoso.com/adfs/", "https://adfs.contoso.com/adfs/", true},
		{"http://login.microsoftonline.com/", "", false},
		{"https://user:pw@login.microsoftonline.com/", "", false},
		{"https://login.microsoftonline.com/?x=1", "", false},
		{"https://login.microsoftonline.com/#frag", "", false},
		{"https://login.microsoftonline.com/%2e%2e/", "", false},
		{"https://login.microsoftonline.com/../evil", "", false},
		{"https://lоgin.microsoftonline.com/", "", false}, // Cyrillic o
		{"https://evil.com\\@login.microsoftonline.com/", "", false},
		{"login.microsoftonline.com", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			got, err := validateAuthorityHost("Cred", tc.host)
			if !tc.ok {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "ActiveDirectoryAuthorityHost")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestKeyOfSortsScopes(t *testing.T) {
	a := keyOf(tokenRequest{Scopes: []string{"b", "a"}})
	b := keyOf(tokenRequest{Scopes: []string{"a", "b", "a"}})
	assert.Equal(t, a, b)
	assert.True(t, slices.Equal([]string{"b", "a"}, []string{"b", "a"}))
}

// warmCredential returns a credential with n scopes' tokens indexed.
func warmCredential(b *testing.B, n int) (*credential, policy.TokenRequestOptions) {
	f := newCoreFixture(b, coreOptions{}, nil)
	var opts policy.TokenRequestOptions
	for i := range n {
		opts = policy.TokenRequestOptions{Scopes: []string{fmt.Sprintf("https://resource%d.example.com/.default", i)}}
		if _, err := f.cred.GetToken(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
	return f.cred, opts
}

func BenchmarkWarmGetToken(b *testing.B) {
	for _, n := range []int{1, 300} {
		b.Run(fmt.Sprintf("scopes=%d", n), func(b *testing.B) {
			cred, opts := warmCredential(b, n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cred.GetToken(ctx, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWarmGetTokenParallel(b *testing.B) {
	cred, opts := warmCredential(b, 1)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := cred.GetToken(ctx, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
