package azinteractive_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// faultMaxRetries is the retry budget of the credentials under fault: a
// failing request is tried this many times more before the error surfaces.
const faultMaxRetries = 2

// fastClientOptions points a credential at srv and makes azcore's retries
// quick. MaxRetryDelay stays above a second so that a Retry-After of one
// second (the header's smallest) is honoured rather than given up on.
func fastClientOptions(srv *entratest.Server) azcore.ClientOptions {
	return azcore.ClientOptions{
		Transport: srv.Client(),
		Cloud:     srv.Cloud(),
		Retry: policy.RetryOptions{
			MaxRetries:    faultMaxRetries,
			RetryDelay:    5 * time.Millisecond,
			MaxRetryDelay: 2 * time.Second,
		},
	}
}

// faultFlow is a way to get a token, and the endpoints it calls through the
// credential's pipeline.
type faultFlow struct {
	name      string
	endpoints []entratest.Endpoint
	// setup builds the credential and does whatever must happen before the
	// fault (a first sign-in). It returns the token request to fault.
	setup func(t *testing.T, srv *entratest.Server) (get func(context.Context) (azcore.AccessToken, error), prompts *atomic.Int32)
	// attempts is how many times a persistent fault is met: a refresh that
	// fails falls back to a sign-in, which meets it again.
	attempts int
}

func deviceCodeCredential(t *testing.T, srv *entratest.Server) (*azinteractive.DeviceCodeCredential, *atomic.Int32) {
	prompts := &atomic.Int32{}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: fastClientOptions(srv),
		UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			prompts.Add(1)
			return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
		},
	})
	require.NoError(t, err)
	return cred, prompts
}

var faultScopes = policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}}

var faultFlows = []faultFlow{
	{
		name:      "device code",
		endpoints: []entratest.Endpoint{entratest.EndpointDiscovery, entratest.EndpointOpenIDConfig, entratest.EndpointDeviceCode, entratest.EndpointToken},
		attempts:  1,
		setup: func(t *testing.T, srv *entratest.Server) (func(context.Context) (azcore.AccessToken, error), *atomic.Int32) {
			cred, prompts := deviceCodeCredential(t, srv)
			return func(ctx context.Context) (azcore.AccessToken, error) { return cred.GetToken(ctx, faultScopes) }, prompts
		},
	},
	{
		name:      "username password",
		endpoints: []entratest.Endpoint{entratest.EndpointUserRealm, entratest.EndpointToken},
		attempts:  1,
		setup: func(t *testing.T, srv *entratest.Server) (func(context.Context) (azcore.AccessToken, error), *atomic.Int32) {
			cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
				entratest.DefaultUsername, entratest.DefaultPassword, &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: fastClientOptions(srv)})
			require.NoError(t, err)
			return func(ctx context.Context) (azcore.AccessToken, error) { return cred.GetToken(ctx, faultScopes) }, &atomic.Int32{}
		},
	},
	{
		name:      "browser",
		endpoints: []entratest.Endpoint{entratest.EndpointToken},
		attempts:  1,
		setup: func(t *testing.T, srv *entratest.Server) (func(context.Context) (azcore.AccessToken, error), *atomic.Int32) {
			prompts := &atomic.Int32{}
			browser := srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
			cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
				ClientOptions: fastClientOptions(srv),
				OpenURL: func(ctx context.Context, u string) error {
					prompts.Add(1)
					return browser(ctx, u)
				},
			})
			require.NoError(t, err)
			return func(ctx context.Context) (azcore.AccessToken, error) { return cred.GetToken(ctx, faultScopes) }, prompts
		},
	},
	{
		// A claims challenge makes MSAL redeem the refresh token at once.
		name:      "refresh",
		endpoints: []entratest.Endpoint{entratest.EndpointToken},
		attempts:  2,
		setup: func(t *testing.T, srv *entratest.Server) (func(context.Context) (azcore.AccessToken, error), *atomic.Int32) {
			cred, prompts := deviceCodeCredential(t, srv)
			_, err := cred.GetToken(t.Context(), faultScopes)
			require.NoError(t, err)
			claims := `{"access_token":{"nbf":{"essential":true,"value":"1"}}}`
			return func(ctx context.Context) (azcore.AccessToken, error) {
				return cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: faultScopes.Scopes, Claims: claims})
			}, prompts
		},
	},
}

// faultCase is a fault and how a flow meeting it must end.
type faultCase struct {
	name  string
	fault entratest.Fault
	// persistent faults hit every request the flow makes to the endpoint;
	// the others hit one.
	persistent bool
	// unbounded faults hit every request, however many the client's HTTP
	// stack makes; the case needs a server of its own.
	unbounded bool
	// wantOK: the fault is transient and a retry gets the token.
	wantOK bool
	// want is in the error's message when !wantOK.
	want string
}

// retried reports whether azcore's pipeline retries a request to ep that
// meets the fault. It reads bodies itself, and retries a failed read only
// for idempotent methods.
func (fc faultCase) retried(ep entratest.Endpoint) bool {
	f := fc.fault
	get := ep != entratest.EndpointToken && ep != entratest.EndpointDeviceCode
	return f.DropConnection || f.Status == http.StatusTooManyRequests || f.Status >= 500 || f.TruncatedBody && get
}

// n is how many requests to ep meet the fault in flow.
func (fc faultCase) n(flow faultFlow, ep entratest.Endpoint) int {
	if fc.unbounded {
		return 100
	}
	if !fc.persistent {
		return 1
	}
	n := flow.attempts
	if fc.retried(ep) {
		n *= faultMaxRetries + 1
	}
	return n
}

// faultCases run one after another on one server per flow and endpoint: each
// uses up exactly the faults it injects (the test checks it), leaving none
// for the next.
var faultCases = []faultCase{
	{name: "429 with Retry-After", fault: entratest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second}, wantOK: true},
	{name: "503 with Retry-After", fault: entratest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second}, wantOK: true},
	{name: "connection reset", fault: entratest.Fault{DropConnection: true}, wantOK: true},
	{name: "persistent 500", fault: entratest.Fault{Status: http.StatusInternalServerError}, persistent: true, want: "500"},
	{name: "malformed JSON", fault: entratest.Fault{MalformedJSON: true}, persistent: true, want: "json decode error"},
	{name: "truncated body", fault: entratest.Fault{TruncatedBody: true}, persistent: true, want: "unexpected EOF"},
}

// TestFaults injects every fault into every endpoint each flow calls, and
// checks that each case ends in a token or a typed error that says what went
// wrong, that transient faults are retried (without a second prompt), that
// persistent ones are retried exactly as configured, that a server slower
// than the caller's deadline can't hold the caller, and that no goroutine is
// left behind.
func TestFaults(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// Each flow and endpoint runs its cases in turn, on a server of its own,
	// alongside the others: more at once than -parallel allows, since most
	// of the time goes to waiting out a Retry-After or a deadline.
	var wg sync.WaitGroup
	run := func(name string, f func(t *testing.T)) {
		wg.Go(func() { t.Run(name, f) })
	}
	for _, flow := range faultFlows {
		for _, ep := range flow.endpoints {
			run(fmt.Sprintf("%s/%s", flow.name, ep), func(t *testing.T) {
				srv := entratest.NewServer(nil)
				defer srv.Close()
				for _, fc := range faultCases {
					t.Run(fc.name, func(t *testing.T) { runFault(t, srv, flow, ep, fc) })
				}
				// Faults that may outlast their case come last, or get a
				// server of their own.
				t.Run("persistent connection reset", func(t *testing.T) {
					srv := entratest.NewServer(nil)
					defer srv.Close()
					runFault(t, srv, flow, ep, faultCase{fault: entratest.Fault{DropConnection: true}, unbounded: true, want: "EOF"})
				})
				t.Run("slower than the deadline", func(t *testing.T) { runSlowFault(t, srv, flow, ep) })
			})
		}
	}
	wg.Wait()
}

func runFault(t *testing.T, srv *entratest.Server, flow faultFlow, ep entratest.Endpoint, fc faultCase) {
	get, prompts := flow.setup(t, srv)
	promptsBefore := prompts.Load()
	srv.ResetRequests()
	n := fc.n(flow, ep)
	srv.InjectFault(ep, n, fc.fault)

	// Every case must end well before this; a hung one fails with the
	// deadline instead of the outcome it wants.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tk, err := get(ctx)
	faulted, after := faultedRequests(srv, ep, fc.fault)
	if fc.wantOK {
		require.NoError(t, err)
		_, err = srv.VerifyAccessToken(tk.Token)
		require.NoError(t, err)
		assert.True(t, tk.ExpiresOn.After(time.Now()))
		assert.Equal(t, n, faulted, "the fault was met")
		assert.NotZero(t, after, "a request after the fault succeeded")
		// One prompt at most, and none when the user had signed in already.
		assert.LessOrEqual(t, prompts.Load(), max(promptsBefore, 1), "a transient fault doesn't prompt again")
		return
	}
	require.Error(t, err)
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed, "%T: %v", err, err)
	assert.Contains(t, err.Error(), fc.want)
	assert.Contains(t, err.Error(), "Credential: ", "the message names the credential")
	if fc.unbounded {
		// Go's transport may itself retry a GET on a reused connection.
		assert.GreaterOrEqual(t, faulted, flow.attempts*(faultMaxRetries+1))
		return
	}
	assert.Equal(t, n, faulted, "each attempt is retried %d times, no more", faultMaxRetries)
	if fc.fault.Status != 0 {
		require.NotNil(t, failed.RawResponse)
		assert.Equal(t, fc.fault.Status, failed.RawResponse.StatusCode)
		assert.Equal(t, "temporarily_unavailable", failed.ErrorCode)
	}
}

// runSlowFault holds ep's responses back longer than the caller waits: the
// call must end with the caller's deadline, whatever the flow was doing.
func runSlowFault(t *testing.T, srv *entratest.Server, flow faultFlow, ep entratest.Endpoint) {
	get, _ := flow.setup(t, srv)
	srv.InjectFault(ep, 100, entratest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := get(ctx)
	elapsed := time.Since(start)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed, "%T: %v", err, err)
	assert.Contains(t, err.Error(), "deadline")
	// Not a measure of speed: the server holds its answer for an hour, so
	// returning at all shows the deadline ended the call.
	assert.Less(t, elapsed, time.Minute)
}

// faultedRequests counts the requests to ep that met f, and the successful
// ones after the first of them.
func faultedRequests(srv *entratest.Server, ep entratest.Endpoint, f entratest.Fault) (faulted, after int) {
	want := f.Status
	switch {
	case f.DropConnection:
		want = 0
	case f.MalformedJSON && want == 0, f.TruncatedBody:
		want = http.StatusOK
	}
	for _, r := range srv.Requests() {
		if r.Endpoint != ep {
			continue
		}
		switch {
		case r.Status == want && (after == 0 || want != http.StatusOK):
			faulted++
		case faulted > 0 && r.Status == http.StatusOK:
			after++
		}
	}
	return faulted, after
}
