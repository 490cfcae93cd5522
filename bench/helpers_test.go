package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/bench/internal/keyring"
	"github.com/azinteractive/azinteractive/entratest"
)

// TestMain also lets this test binary play xdg-open for the browser
// scenarios (see xdgOpen) and the scale benchmarks' entratest server (see
// serveMain), and closes what shared fixtures started.
func TestMain(m *testing.M) {
	if isFakeOpener() {
		// This binary was started as xdg-open by a browser credential.
		os.Exit(fakeOpenerMain(os.Args[1:]))
	}
	if os.Getenv(serveEnv) != "" {
		// This binary was started as the scale benchmarks' server.
		os.Exit(serveMain())
	}
	startEnv = os.Environ()
	code := m.Run()
	closeShared()
	os.Exit(code)
}

// armScope is the scope of Azure Resource Manager, which every scenario
// that needs one scope asks for.
var armScope = []string{"https://management.azure.com/.default"}

// caeRequest is a token request as Azure SDK clients make them: azcore's
// BearerTokenPolicy always sets EnableCAE.
func caeRequest(scopes []string) policy.TokenRequestOptions {
	return policy.TokenRequestOptions{Scopes: scopes, EnableCAE: true}
}

// credential is what the scenarios need of either library's credential.
type credential struct {
	azcore.TokenCredential
	authenticate func(context.Context, *policy.TokenRequestOptions) error
}

// promptFunc is a device code prompt for either library: it gets the user
// code to enter on the verification page.
type promptFunc func(ctx context.Context, userCode string) error

// caches are the persistent caches of a scenario, one per library; the zero
// value means each library's in-memory cache.
type caches struct {
	ours   azinteractive.Cache
	theirs azidentity.Cache
}

// lib is one library under test. Scenarios run the same steps against each.
type lib struct {
	name string
	// deviceCode returns a DeviceCodeCredential for srv.
	deviceCode func(srv *entratest.Server, prompt promptFunc, c caches) (credential, error)
	// browser returns an InteractiveBrowserCredential for srv. A nil open
	// leaves opening the sign-in page to the library's default (xdg-open
	// here); azidentity has no other way.
	browser func(srv *entratest.Server, open func(context.Context, string) error) (credential, error)
}

const (
	libOurs   = "azinteractive"
	libTheirs = "azidentity"
)

var libs = []lib{
	{
		name: libOurs,
		deviceCode: func(srv *entratest.Server, prompt promptFunc, c caches) (credential, error) {
			cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: clientOptions(srv),
				Cache:         c.ours,
				UserPrompt: func(ctx context.Context, m azinteractive.DeviceCodeMessage) error {
					return prompt(ctx, m.UserCode)
				},
			})
			if err != nil {
				return credential{}, err
			}
			return credential{cred, func(ctx context.Context, o *policy.TokenRequestOptions) error {
				_, err := cred.Authenticate(ctx, o)
				return err
			}}, nil
		},
		browser: func(srv *entratest.Server, open func(context.Context, string) error) (credential, error) {
			// The default opener tells the user on stderr that a browser
			// opened. go test sends a benchmark's stderr to the same stream
			// as its results, where the notice, once per op, split result
			// lines that benchstat then dropped: the credential takes
			// os.Stderr when it is made, so it gets /dev/null here.
			restore := quietStderr()
			cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
				ClientOptions: clientOptions(srv),
				OpenURL:       open,
			})
			restore()
			if err != nil {
				return credential{}, err
			}
			return credential{cred, func(ctx context.Context, o *policy.TokenRequestOptions) error {
				_, err := cred.Authenticate(ctx, o)
				return err
			}}, nil
		},
	},
	{
		name: libTheirs,
		deviceCode: func(srv *entratest.Server, prompt promptFunc, c caches) (credential, error) {
			cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
				ClientOptions: clientOptions(srv),
				Cache:         c.theirs,
				UserPrompt: func(ctx context.Context, m azidentity.DeviceCodeMessage) error {
					return prompt(ctx, m.UserCode)
				},
			})
			if err != nil {
				return credential{}, err
			}
			return credential{cred, func(ctx context.Context, o *policy.TokenRequestOptions) error {
				_, err := cred.Authenticate(ctx, o)
				return err
			}}, nil
		},
		browser: func(srv *entratest.Server, open func(context.Context, string) error) (credential, error) {
			if open != nil {
				return credential{}, fmt.Errorf("azidentity can't take a function to open the browser")
			}
			cred, err := azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{
				ClientOptions: clientOptions(srv),
			})
			if err != nil {
				return credential{}, err
			}
			return credential{cred, func(ctx context.Context, o *policy.TokenRequestOptions) error {
				_, err := cred.Authenticate(ctx, o)
				return err
			}}, nil
		},
	},
}

// clientOptions points either library at srv.
func clientOptions(srv *entratest.Server) azcore.ClientOptions {
	return azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()}
}

// approver is a device code prompt that approves every code at once as the
// default user, counting prompts.
type approver struct {
	srv     *entratest.Server
	prompts atomic.Int64
}

func (a *approver) prompt(_ context.Context, userCode string) error {
	a.prompts.Add(1)
	return a.srv.ApproveDeviceCode(userCode, entratest.DefaultUsername)
}

// newServer returns an entratest server that lives as long as the benchmark.
func newServer(b *testing.B) *entratest.Server {
	b.Helper()
	return newServerWith(b, nil)
}

// newServerWith is newServer with options.
func newServerWith(b *testing.B, opts *entratest.Options) *entratest.Server {
	b.Helper()
	srv := entratest.NewServer(opts)
	b.Cleanup(srv.Close)
	return srv
}

// countRequests counts srv's requests to ep since its last ResetRequests.
func countRequests(srv *entratest.Server, ep entratest.Endpoint) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == ep {
			n++
		}
	}
	return n
}

// scopeRequests returns n token requests for n different scopes, each of its
// own resource, built once so that a timed loop allocates nothing itself.
func scopeRequests(n int) []policy.TokenRequestOptions {
	reqs := make([]policy.TokenRequestOptions, n)
	for i := range reqs {
		if i == 0 {
			reqs[i] = caeRequest(armScope)
			continue
		}
		reqs[i] = caeRequest([]string{fmt.Sprintf("api://bench-resource-%04d/.default", i)})
	}
	return reqs
}

// warmFixture is a signed-in credential holding tokens for its requests.
type warmFixture struct {
	srv  *entratest.Server
	cred credential
	reqs []policy.TokenRequestOptions
}

// startEnv is the environment the benchmarks started with, before any of
// them pointed HOME or XDG_CACHE_HOME elsewhere (see sharedKeyring): the go
// command that builds the token programs needs the user's build cache.
var startEnv []string

var shared struct {
	mu           sync.Mutex
	warm         map[string]*warmFixture
	scaleServer  *remoteServer
	keyring      *keyring.Keyring
	keyringErr   error
	xdgCacheHome string
	programs     map[string]string
	closers      []func()
}

// warm returns a credential of l signed in once, with tokens for n scopes.
// Fixtures outlive one benchmark run, so that -count and RunParallel's
// repeated runs don't sign in and fetch a thousand tokens again.
func warm(b *testing.B, l lib, n int) *warmFixture {
	b.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	key := fmt.Sprintf("%s/%d", l.name, n)
	if f, ok := shared.warm[key]; ok {
		return f
	}
	srv := entratest.NewServer(nil)
	shared.closers = append(shared.closers, srv.Close)
	f := &warmFixture{srv: srv, reqs: scopeRequests(n)}
	a := &approver{srv: srv}
	cred, err := l.deviceCode(srv, a.prompt, caches{})
	if err != nil {
		b.Fatal(err)
	}
	f.cred = cred
	fill(b, cred, f.reqs)
	if shared.warm == nil {
		shared.warm = map[string]*warmFixture{}
	}
	shared.warm[key] = f
	return f
}

// fill gets a token for each request: the first signs in, the others redeem
// the refresh token. A second pass does what either library does only on its
// first silent call (MSAL resolves the authority once), so that afterwards
// every request is warm.
func fill(b *testing.B, cred credential, reqs []policy.TokenRequestOptions) {
	b.Helper()
	for range 2 {
		for _, r := range reqs {
			if _, err := cred.GetToken(context.Background(), r); err != nil {
				b.Fatalf("warming up %v: %v", r.Scopes, err)
			}
		}
	}
}

func closeShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for i := len(shared.closers) - 1; i >= 0; i-- {
		shared.closers[i]()
	}
}

// okTransport answers every request 200, standing in for an Azure service
// behind a BearerTokenPolicy, and remembers whether the last one carried a
// bearer token.
type okTransport struct{ authorized atomic.Bool }

func (t *okTransport) Do(req *http.Request) (*http.Response, error) {
	auth := req.Header.Get("Authorization")
	t.authorized.Store(len(auth) > len("Bearer ") && auth[:len("Bearer ")] == "Bearer ")
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// quietStderr points os.Stderr at the null device until the function it
// returns is called, which closes it: what is made meanwhile and writes to
// it later gets an error, and the credential ignores errors writing notices.
func quietStderr() (restore func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return func() {}
	}
	old := os.Stderr
	os.Stderr = null
	return func() { os.Stderr = old; null.Close() }
}
