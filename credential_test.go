package azinteractive

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeBackend fakes the core's seam: a token cache keyed by CAE, tenant and
// scopes, filled by the fake sign-in. It records what the core passed it.
type fakeBackend struct {
	signIn *fakeSignIn

	mu      sync.Mutex // guards the fields below
	tokens  map[string]tokenResult
	calls   []backendCall
	silentF func(r tokenRequest) (tokenResult, error) // overrides the cache when set
	removed []string                                  // home account IDs removeAccount was given
}

// backendCall is one call the core made.
type backendCall struct {
	op      string // "silent" or "interactive"
	r       tokenRequest
	account string // the home account ID a silent call was for
}

func tokenKey(r tokenRequest) string {
	return fmt.Sprintf("%v|%s|%s", r.EnableCAE, r.TenantID, strings.Join(r.Scopes, " "))
}

func (f *fakeBackend) silent(_ context.Context, r tokenRequest, account AuthenticationRecord) (tokenResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, backendCall{op: "silent", r: r, account: account.HomeAccountID})
	silentF := f.silentF
	res, ok := f.tokens[tokenKey(r)]
	f.mu.Unlock()
	if silentF != nil {
		return silentF(r)
	}
	if !ok || res.Account.HomeAccountID != account.HomeAccountID {
		return tokenResult{}, errors.New("no token found")
	}
	return res, nil
}

func (f *fakeBackend) interactive(ctx context.Context, r tokenRequest) (tokenResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, backendCall{op: "interactive", r: r})
	f.mu.Unlock()
	res, err := f.signIn.run(ctx, r)
	if err == nil {
		f.put(r, res)
	}
	return res, err
}

func (f *fakeBackend) removeAccount(_ context.Context, account AuthenticationRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, account.HomeAccountID)
	for k, v := range f.tokens {
		if v.Account.HomeAccountID == account.HomeAccountID {
			delete(f.tokens, k)
		}
	}
	return nil
}

func (f *fakeBackend) put(r tokenRequest, res tokenResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokens == nil {
		f.tokens = map[string]tokenResult{}
	}
	f.tokens[tokenKey(r)] = res
}

// callsOf returns the calls of one kind.
func (f *fakeBackend) callsOf(op string) []backendCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []backendCall
	for _, c := range f.calls {
		if c.op == op {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeBackend) silentCalls() int { return len(f.callsOf("silent")) }

// fakeSignIn plays the user: it counts sign-ins, can block until released,
// and can fail.
type fakeSignIn struct {
	prompts atomic.Int32
	block   chan struct{} // when not nil, each sign-in waits for it to close
	err     error
	user    string
}

func (s *fakeSignIn) run(ctx context.Context, r tokenRequest) (tokenResult, error) {
	s.prompts.Add(1)
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return tokenResult{}, ctx.Err()
		}
	}
	if s.err != nil {
		return tokenResult{}, s.err
	}
	user := s.user
	if user == "" {
		user = "alice"
	}
	return fakeResult(user, "token-for-"+strings.Join(r.Scopes, "+"), time.Hour), nil
}

func fakeRecord(user string) AuthenticationRecord {
	return AuthenticationRecord{
		Authority: "login.microsoftonline.com", ClientID: developerSignOnClientID, HomeAccountID: user + "-oid.tenant-id",
		TenantID: "tenant-id", Username: user + "@contoso.com", Version: authenticationRecordVersion,
	}
}

func fakeResult(user, token string, life time.Duration) tokenResult {
	return tokenResult{Token: token, TokenType: "Bearer", ExpiresOn: time.Now().Add(life).UTC(), Account: fakeRecord(user)}
}

type coreFixture struct {
	cred    *credential
	backend *fakeBackend
	signIn  *fakeSignIn
}

func newCoreFixture(t testing.TB, o coreOptions, s *fakeSignIn) *coreFixture {
	t.Helper()
	if s == nil {
		s = &fakeSignIn{}
	}
	f := &coreFixture{signIn: s, backend: &fakeBackend{signIn: s}}
	cred, err := newCredential("TestCredential", o, func(backendConfig) (backend, error) { return f.backend, nil })
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
	assert.Zero(t, f.backend.silentCalls(), "no account: the silent call can only fail, so it isn't made")

	// A second credential with the record goes to the backend's cache, not the user.
	rec := *f.cred.session.Load().record
	g := newCoreFixture(t, coreOptions{AuthenticationRecord: rec}, nil)
	g.backend.put(tokenRequest{Scopes: armScope}, fakeResult("alice", "cached", time.Hour))
	tk, err = g.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, "cached", tk.Token)
	assert.Zero(t, g.signIn.prompts.Load())
	assert.Equal(t, 1, g.backend.silentCalls())
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
	assert.Zero(t, f.backend.silentCalls(), "a warm token is served from the index")

	// Claims bypass the index: a claims challenge needs a new token.
	f.backend.put(tokenRequest{Scopes: armScope}, fakeResult("alice", "t", time.Hour))
	f.backend.silentF = func(r tokenRequest) (tokenResult, error) { return fakeResult("alice", "t", time.Hour), nil }
	_, err = f.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope, Claims: `{"access_token":{}}`})
	require.NoError(t, err)
	require.Equal(t, 1, f.backend.silentCalls())
	assert.Equal(t, `{"access_token":{}}`, f.backend.callsOf("silent")[0].r.Claims, "the claims reach the backend")
}

func TestCoreIndexHonoursRefreshOn(t *testing.T) {
	f := newCoreFixture(t, coreOptions{AuthenticationRecord: fakeRecord("alice")}, nil)
	res := fakeResult("alice", "old", time.Hour)
	res.RefreshOn = time.Now().Add(-time.Second) // refresh is due
	f.backend.put(tokenRequest{Scopes: armScope}, res)
	for range 3 {
		_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		require.NoError(t, err)
	}
	assert.Equal(t, 3, f.backend.silentCalls(), "a token past its refresh-on time goes back to the backend every time, which refreshes it")
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
	f := newCoreFixture(t, coreOptions{}, nil)
	_, err := f.cred.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	calls := f.backend.callsOf("interactive")
	require.Len(t, calls, 1)
	assert.Equal(t, []string{"https://management.core.windows.net//.default"}, calls[0].r.Scopes, "azidentity's default: ARM's audience plus /.default")
}

func TestCoreCAEIsPartOfTheRequest(t *testing.T) {
	f := newCoreFixture(t, coreOptions{}, nil)
	_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
	require.NoError(t, err)
	calls := f.backend.callsOf("interactive")
	require.Len(t, calls, 1)
	assert.True(t, calls[0].r.EnableCAE)

	// The CAE token isn't served to a non-CAE request, nor the reverse.
	_, err = f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	calls = f.backend.callsOf("silent")
	require.Len(t, calls, 1, "the non-CAE request wasn't served the CAE token")
	assert.False(t, calls[0].r.EnableCAE)
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
	assert.Equal(t, "bob-oid.tenant-id", f.cred.session.Load().record.HomeAccountID)
	info, err := f.cred.GetTokenInfo(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, "bob@contoso.com", info.Account.Username, "alice's indexed token isn't served for bob")
}

func TestCoreRecordClientID(t *testing.T) {
	rec := AuthenticationRecord{ClientID: "11111111-1111-1111-1111-111111111111", HomeAccountID: "a.b", Version: "1.0"}
	f := newCoreFixture(t, coreOptions{AuthenticationRecord: rec}, nil)
	assert.Equal(t, rec.ClientID, f.cred.opts.ClientID, "an unset ClientID comes from the record")

	_, err := newCredential("TestCredential", coreOptions{AuthenticationRecord: rec, ClientID: "22222222-2222-2222-2222-222222222222"},
		func(backendConfig) (backend, error) { return &fakeBackend{signIn: &fakeSignIn{}}, nil })
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
	require.Eventually(t, func() bool { return f.cred.signInFlight.waiting("sign-in") == n }, 5*time.Second, time.Millisecond,
		"every other goroutine waits behind the one prompt")
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
	require.Eventually(t, func() bool { return f.cred.signInFlight.waiting("sign-in") == 8 }, 5*time.Second, time.Millisecond)
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
			assert.Zero(t, f.backend.silentCalls())
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

// TestCoreTimedOutSignInNotRepeatedForWaiters: when the user lets a prompt run out
// its Timeout, the goroutines waiting behind it get that error; they don't each
// open a prompt of their own in turn.
func TestCoreTimedOutSignInNotRepeatedForWaiters(t *testing.T) {
	timedOut := fmt.Errorf("loopback: stopped waiting: %w: %w", &userTimeoutError{timeout: time.Minute}, context.DeadlineExceeded)
	s := &fakeSignIn{block: make(chan struct{}), err: timedOut}
	f := newCoreFixture(t, coreOptions{}, s)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			assert.ErrorContains(t, err, "didn't finish signing in within 1m")
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		})
	}
	require.Eventually(t, func() bool { return f.cred.signInFlight.waiting("sign-in") == 4 }, 5*time.Second, time.Millisecond)
	close(s.block)
	wg.Wait()
	assert.EqualValues(t, 1, s.prompts.Load(), "goroutines waiting on a timed-out sign-in don't prompt again")
}

// A credential no constructor made returns an error from every method
// instead of panicking on its nil core.
func TestZeroValueCredentialsReturnErrors(t *testing.T) {
	type cred interface {
		GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error)
		GetTokenInfo(context.Context, policy.TokenRequestOptions) (TokenInfo, error)
		Authenticate(context.Context, *policy.TokenRequestOptions) (AuthenticationRecord, error)
		SignOut(context.Context) error
	}
	for name, c := range map[string]cred{
		"InteractiveBrowserCredential": &InteractiveBrowserCredential{},
		"DeviceCodeCredential":         &DeviceCodeCredential{},
		"UsernamePasswordCredential":   &UsernamePasswordCredential{},
	} {
		t.Run(name, func(t *testing.T) {
			var unavailable *CredentialUnavailableError
			_, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.ErrorAs(t, err, &unavailable)
			assert.Contains(t, err.Error(), "zero value")
			_, err = c.GetTokenInfo(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.ErrorAs(t, err, &unavailable)
			_, err = c.Authenticate(t.Context(), nil)
			require.ErrorAs(t, err, &unavailable)
			require.ErrorAs(t, c.SignOut(t.Context()), &unavailable)
		})
	}
}

// When the caller that started a sign-in is canceled, the sign-in goes on
// for the callers still waiting: one prompt, and they get its token.
func TestCoreCanceledLeaderDoesNotRepromptWaiters(t *testing.T) {
	s := &fakeSignIn{block: make(chan struct{})}
	f := newCoreFixture(t, coreOptions{}, s)
	leaderCtx, cancelLeader := context.WithCancel(t.Context())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := f.cred.GetToken(leaderCtx, policy.TokenRequestOptions{Scopes: armScope})
		leaderErr <- err
	}()
	require.Eventually(t, func() bool { return s.prompts.Load() == 1 }, 5*time.Second, time.Millisecond)
	const waiters = 4
	errs := make(chan error, waiters)
	for range waiters {
		go func() {
			_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return f.cred.signInFlight.waiting("sign-in") >= waiters }, 5*time.Second, time.Millisecond)
	cancelLeader()
	require.ErrorIs(t, <-leaderErr, context.Canceled)
	close(s.block)
	for range waiters {
		require.NoError(t, <-errs)
	}
	assert.EqualValues(t, 1, s.prompts.Load(), "no second prompt")
}

// When every caller waiting on a sign-in has gone, the sign-in's context
// ends, so its prompt closes and nothing is left running.
func TestCoreSignInEndsWhenEveryCallerLeaves(t *testing.T) {
	s := &fakeSignIn{block: make(chan struct{})}
	f := newCoreFixture(t, coreOptions{}, s)
	defer close(s.block)
	ctx, cancel := context.WithCancel(t.Context())
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := f.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return f.cred.signInFlight.waiting("sign-in") == 2 }, 5*time.Second, time.Millisecond)
	cancel()
	for range 2 {
		require.ErrorIs(t, <-errs, context.Canceled)
	}
	require.Eventually(t, func() bool { return f.cred.signInFlight.waiting("sign-in") == 0 }, 5*time.Second, time.Millisecond)
	// A new caller starts a new sign-in rather than join the ended one.
	done := make(chan error, 1)
	go func() {
		_, err := f.cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		done <- err
	}()
	require.Eventually(t, func() bool { return s.prompts.Load() == 2 }, 5*time.Second, time.Millisecond)
	s.block <- struct{}{}
	require.NoError(t, <-done)
}

// waiting returns how many callers wait on key's call, for tests.
func (fs *flights) waiting(key any) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[key]; ok {
		return f.refs
	}
	return 0
}
