package azinteractive_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/brokertest"
	"github.com/azinteractive/azinteractive/internal/broker/bustest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// These tests run the real InteractiveBrowserCredential against entratest's emulated
// identity broker, on a private D-Bus session bus that DBUS_SESSION_BUS_ADDRESS names.

var graphScope = []string{"https://graph.microsoft.com/.default"}

type brokerEnv struct {
	srv    *entratest.Server
	broker *brokertest.Broker
	addr   string
}

// newBrokerEnv starts a bus, points the session at it and serves the emulated broker
// there, unless opts is nil (a session with no broker).
func newBrokerEnv(t *testing.T, srvOpts *entratest.Options, opts *brokertest.Options) *brokerEnv {
	t.Helper()
	e := &brokerEnv{addr: bustest.SetSession(t)}
	e.srv = entratest.NewServer(srvOpts)
	t.Cleanup(e.srv.Close)
	if opts != nil {
		e.broker = brokertest.New(e.srv, e.addr, opts)
		t.Cleanup(e.broker.Close)
	}
	return e
}

// cred builds a brokered credential whose browser, should it open, fails the test.
func (e *brokerEnv) cred(t *testing.T, bo *azinteractive.BrokerOptions, set func(*azinteractive.InteractiveBrowserCredentialOptions)) *azinteractive.InteractiveBrowserCredential {
	t.Helper()
	o := &azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: clientOptions(e.srv),
		Broker:        bo,
		OpenURL: func(context.Context, string) error {
			t.Error("the browser opened, though the broker should sign the user in")
			return errors.New("no browser in this test")
		},
	}
	if set != nil {
		set(o)
	}
	c, err := azinteractive.NewInteractiveBrowserCredential(o)
	require.NoError(t, err)
	return c
}

// methods lists the broker calls received, in order.
func (e *brokerEnv) methods() []string {
	var m []string
	for _, r := range e.broker.Requests() {
		m = append(m, r.Method)
	}
	return m
}

func (e *brokerEnv) last(method string) brokertest.Request {
	reqs := e.broker.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method {
			return reqs[i]
		}
	}
	return brokertest.Request{}
}

func TestBrokerInteractiveThenSilent(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	lines := captureLog(t, azinteractive.EventAuthentication)
	cred := e.cred(t, &azinteractive.BrokerOptions{ParentWindowHandle: 0x3c00004, EnableMSAPassthrough: true}, func(o *azinteractive.InteractiveBrowserCredentialOptions) {
		o.LoginHint = entratest.DefaultUsername
	})
	ctx := t.Context()

	tk, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	claims, err := e.srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err, "the broker's token verifies like any other")
	assert.Equal(t, "https://management.azure.com", claims["aud"])
	assert.Equal(t, entratest.DefaultUserObjectID, claims["oid"])
	assert.Equal(t, []string{"acquireTokenInteractively"}, e.methods())
	sent := e.last("acquireTokenInteractively")
	assert.Equal(t, int64(0x3c00004), sent.UXContextHandle, "ParentWindowHandle reached the broker")
	assert.True(t, sent.MSAPassthrough(), "EnableMSAPassthrough reached the broker")
	assert.Equal(t, entratest.DefaultUsername, sent.Username, "LoginHint reached the broker")
	assert.Equal(t, "organizations", sent.Tenant)
	assert.Equal(t, "ms-appx-web://Microsoft.AAD.BrokerPlugin/"+entratest.DefaultClientID, sent.RedirectURI)

	// The same token again: the warm index, no call at all.
	again, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, tk.Token, again.Token)
	assert.Len(t, e.broker.Requests(), 1)

	// Another resource: silently, from the broker, for the signed-in account.
	info, err := cred.GetTokenInfo(ctx, policy.TokenRequestOptions{Scopes: graphScope})
	require.NoError(t, err)
	claims, err = e.srv.VerifyAccessToken(info.Token)
	require.NoError(t, err)
	assert.Equal(t, "https://graph.microsoft.com", claims["aud"])
	assert.Equal(t, "Bearer", info.TokenType)
	assert.Equal(t, entratest.DefaultUsername, info.Account.Username)
	assert.Equal(t, entratest.DefaultUserObjectID+"."+entratest.DefaultTenantID, info.Account.HomeAccountID)
	assert.Equal(t, entratest.DefaultTenantID, info.Account.TenantID)
	assert.Equal(t, entratest.DefaultClientID, info.Account.ClientID)
	assert.Equal(t, []string{"acquireTokenInteractively", "acquireTokenSilently"}, e.methods(),
		"the account object the sign-in returned serves silent requests")
	assert.Equal(t, info.Account.HomeAccountID, e.last("acquireTokenSilently").HomeAccountID)

	assert.Empty(t, e.srv.Requests(), "brokered sign-in sends nothing to Entra ID's endpoints from this process")
	assert.Contains(t, strings.Join(lines(), "\n"), "signing in through the identity broker")

	rec, err := cred.Authenticate(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, info.Account, rec, "Authenticate returns the broker's account")
}

func TestBrokerOneSignInForConcurrentCallers(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	e.broker.HoldSignIns()
	cred := e.cred(t, &azinteractive.BrokerOptions{}, nil)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
		}()
	}
	require.NoError(t, e.broker.WaitForDialog(t.Context()))
	e.broker.SignInAs(entratest.DefaultUsername)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	n := 0
	for _, m := range e.methods() {
		if m == "acquireTokenInteractively" {
			n++
		}
	}
	assert.Equal(t, 1, n, "one broker dialog for every caller")
}

func TestBrokerDefaultAccount(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{DeviceAccount: entratest.DefaultUsername})
	e.broker.CancelSignIns() // a dialog would fail the test
	cred := e.cred(t, &azinteractive.BrokerOptions{UseDefaultBrokerAccount: true}, nil)
	rec, err := cred.Authenticate(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, entratest.DefaultUsername, rec.Username)
	assert.Equal(t, []string{"getAccounts", "acquireTokenSilently"}, e.methods(), "no prompt: the device's account signed in silently")

	// Without the option the same broker shows its dialog.
	e.broker.ResetRequests()
	_, err = e.cred(t, &azinteractive.BrokerOptions{}, nil).GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.Error(t, err)
	assert.Equal(t, []string{"acquireTokenInteractively"}, e.methods())
}

// TestBrokerDefaultAccountCanceledContext: a caller's context that ends during the
// silent sign-in as the device's account is explained as the caller's, as everywhere
// else, not as a failure of the broker.
func TestBrokerDefaultAccountCanceledContext(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{DeviceAccount: entratest.DefaultUsername})
	cred := e.cred(t, &azinteractive.BrokerOptions{UseDefaultBrokerAccount: true}, nil)
	_, err := cred.Authenticate(t.Context(), nil) // the credential settles on the broker
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = cred.Authenticate(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "the caller's context was canceled")
	assert.NotContains(t, err.Error(), "the identity broker failed")
}

func TestBrokerDefaultAccountFallsBackToPrompt(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{}) // no device account
	cred := e.cred(t, &azinteractive.BrokerOptions{UseDefaultBrokerAccount: true}, nil)
	_, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	assert.Equal(t, []string{"getAccounts", "acquireTokenInteractively"}, e.methods())
}

func TestBrokerSignOut(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	cred := e.cred(t, &azinteractive.BrokerOptions{}, func(o *azinteractive.InteractiveBrowserCredentialOptions) {
		o.DisableAutomaticAuthentication = true
	})
	rec, err := cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	require.Equal(t, []string{entratest.DefaultUsername}, e.broker.Accounts())

	require.NoError(t, cred.SignOut(t.Context()))
	removed := e.last("removeAccount")
	assert.Equal(t, rec.HomeAccountID, removed.HomeAccountID)
	assert.Equal(t, entratest.DefaultClientID, removed.ClientID)
	assert.Empty(t, e.broker.Accounts(), "the broker forgot the account")

	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var required *azinteractive.AuthenticationRequiredError
	require.ErrorAs(t, err, &required, "the credential forgot the user")

	// A credential that starts from the old record finds no broker account either.
	c2 := e.cred(t, &azinteractive.BrokerOptions{}, func(o *azinteractive.InteractiveBrowserCredentialOptions) {
		o.DisableAutomaticAuthentication = true
		o.AuthenticationRecord = rec
	})
	_, err = c2.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: graphScope})
	require.ErrorAs(t, err, &required)
}

func TestBrokerCancel(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	e.broker.CancelSignIns()
	_, err := e.cred(t, &azinteractive.BrokerOptions{}, nil).GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Contains(t, err.Error(), "canceled in the identity broker's window")
	assert.Contains(t, err.Error(), "status UserCanceled", "the broker's status is kept")
	assert.False(t, errors.Is(err, context.Canceled), "the user canceled, not our context")
}

func TestBrokerFailureKeepsBrokersCodes(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	e.broker.FailSignIns(brokertest.Error{Status: brokertest.StatusUnexpected, ErrorCode: 53000, Tag: 42,
		Context: "AADSTS53000: Device is not in required device state: compliant."})
	_, err := e.cred(t, &azinteractive.BrokerOptions{}, nil).GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Equal(t, []int{53000}, failed.ErrorCodes)
	assert.Contains(t, err.Error(), "AADSTS53000")
	assert.Contains(t, err.Error(), "tag 42")
	assert.Contains(t, err.Error(), "enroll the device", "AADSTS53000's hint")
}

func TestBrokerContextDeadlineCancelsDialog(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	e.broker.HoldSignIns()
	cred := e.cred(t, &azinteractive.BrokerOptions{}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	_, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, []string{"acquireTokenInteractively", "cancelInteractiveFlow"}, e.methods())
	reqs := e.broker.Requests()
	assert.Equal(t, reqs[0].CorrelationID, reqs[1].CorrelationID)
	assert.Equal(t, 0, e.broker.OpenDialogs(), "the dialog closed")
}

func TestBrokerCanceledContext(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	e.broker.HoldSignIns()
	cred := e.cred(t, &azinteractive.BrokerOptions{}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		if e.broker.WaitForDialog(ctx) == nil {
			cancel()
		}
	}()
	_, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "cancelInteractiveFlow", e.methods()[len(e.methods())-1])
}

func TestBrokerTimeout(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	e.broker.HoldSignIns()
	cred := e.cred(t, &azinteractive.BrokerOptions{}, func(o *azinteractive.InteractiveBrowserCredentialOptions) {
		o.Timeout = 300 * time.Millisecond
	})
	_, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "didn't finish signing in within 300ms")
	assert.Equal(t, []string{"acquireTokenInteractively", "cancelInteractiveFlow"}, e.methods())
}

func TestBrokerClaimsChallenge(t *testing.T) {
	clock := &lockedClock{t: time.Now()}
	e := newBrokerEnv(t, &entratest.Options{Now: clock.Now}, &brokertest.Options{})
	cred := e.cred(t, &azinteractive.BrokerOptions{}, nil)
	ctx := t.Context()
	tk, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
	require.NoError(t, err)
	claims, err := e.srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	assert.Equal(t, []any{"CP1"}, claims["xms_cc"], "a CAE request announces the CP1 capability to the broker")

	clock.Advance(time.Minute)
	challenge := e.srv.RevokeSessions(entratest.DefaultUsername)
	_, err = e.srv.VerifyAccessToken(tk.Token)
	var ce *entratest.ClaimsChallengeError
	require.ErrorAs(t, err, &ce)

	tk2, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true, Claims: ce.Claims})
	require.NoError(t, err)
	_, err = e.srv.VerifyAccessToken(tk2.Token)
	require.NoError(t, err, "the token issued for the challenge passes")
	sent := e.last("acquireTokenSilently")
	var doc struct {
		AccessToken struct {
			NBF struct {
				Value string `json:"value"`
			} `json:"nbf"`
			XMSCC struct {
				Values []string `json:"values"`
			} `json:"xms_cc"`
		} `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(sent.Claims), &doc), sent.Claims)
	assert.Contains(t, challenge, doc.AccessToken.NBF.Value, "the challenge travelled as decodedClaims")
	assert.Equal(t, []string{"CP1"}, doc.AccessToken.XMSCC.Values)
	assert.Equal(t, []string{"acquireTokenInteractively", "acquireTokenSilently"}, e.methods(), "no second dialog")
}

func TestBrokerPerRequestTenant(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	const other = "0e0e0e0e-1111-4222-8333-444444444444"
	e.srv.AddTenant(entratest.Tenant{ID: other})
	cred := e.cred(t, &azinteractive.BrokerOptions{}, func(o *azinteractive.InteractiveBrowserCredentialOptions) {
		o.AdditionallyAllowedTenants = []string{"*"}
	})
	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, TenantID: entratest.DefaultTenantID})
	require.NoError(t, err)
	claims, err := e.srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	assert.Equal(t, entratest.DefaultTenantID, claims["tid"])
	assert.Equal(t, entratest.DefaultTenantID, e.last("acquireTokenInteractively").Tenant)

	// A tenant the user isn't in: the broker's AADSTS code reaches the error.
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: graphScope, TenantID: other})
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Contains(t, failed.ErrorCodes, 50020)
	assert.Equal(t, other, e.last("acquireTokenSilently").Tenant)
	assert.Equal(t, other, e.last("acquireTokenInteractively").Tenant)
}

func TestBrokerRestartMidSession(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	cred := e.cred(t, &azinteractive.BrokerOptions{}, nil)
	_, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err)
	first := e.broker.Owner()
	second := e.broker.Restart()
	require.NotEqual(t, first, second)
	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: graphScope})
	require.NoError(t, err)
	_, err = e.srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	silent := e.last("acquireTokenSilently")
	assert.Equal(t, second, silent.Owner, "the new broker instance answered, without a new sign-in")
	assert.Equal(t, 1, strings.Count(strings.Join(e.methods(), " "), "acquireTokenInteractively"))
}

func TestBrokerRestartDuringSignIn(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	e.broker.HoldSignIns()
	cred := e.cred(t, &azinteractive.BrokerOptions{}, nil)
	go func() {
		if e.broker.WaitForDialog(t.Context()) == nil {
			e.broker.Restart()
		}
	}()
	_, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var failed *azinteractive.AuthenticationFailedError
	require.ErrorAs(t, err, &failed)
	assert.Contains(t, err.Error(), "stopped or restarted before it answered")
}

func TestBrokerFallsBackToBrowser(t *testing.T) {
	for _, tt := range []struct {
		name    string
		session func(t *testing.T)
	}{
		{"no broker on the bus", func(t *testing.T) { bustest.SetSession(t) }},
		{"no session bus", func(t *testing.T) { t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.session(t)
			srv := entratest.NewServer(nil)
			defer srv.Close()
			lines := captureLog(t, azinteractive.EventAuthentication)
			cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
				ClientOptions: clientOptions(srv),
				Broker:        &azinteractive.BrokerOptions{UseDefaultBrokerAccount: true},
				OpenURL:       srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword),
			})
			require.NoError(t, err)
			tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
			require.NoError(t, err)
			_, err = srv.VerifyAccessToken(tk.Token)
			require.NoError(t, err)
			_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: graphScope})
			require.NoError(t, err, "silent requests go to MSAL's cache")
			var why []string
			for _, l := range lines() {
				if strings.Contains(l, "signing in through the browser") {
					why = append(why, l)
				}
			}
			require.Len(t, why, 1, "one log line says why")
			assert.Contains(t, why[0], "identity broker")
		})
	}
}

// TestBrokerAsksAgainAfterBusFailure: a bus that fails (here, one that has stopped) is no
// answer about the broker, so the credential signs in through the browser that time only,
// says so once, and uses the broker once the bus answers.
func TestBrokerAsksAgainAfterBusFailure(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{})
	dead, err := brokertest.NewSessionBus()
	require.NoError(t, err, "newBrokerEnv started a bus, so this one starts too")
	dead.Close()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", dead.Address())

	lines := captureLog(t, azinteractive.EventAuthentication)
	browserOpened := 0
	cred := e.cred(t, &azinteractive.BrokerOptions{}, func(o *azinteractive.InteractiveBrowserCredentialOptions) {
		sign := e.srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
		o.OpenURL = func(ctx context.Context, u string) error {
			browserOpened++
			return sign(ctx, u)
		}
	})
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err, "the browser signs the user in while the bus fails")
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: graphScope})
	require.NoError(t, err)
	assert.Equal(t, 1, browserOpened)
	assert.Empty(t, e.broker.Requests())

	t.Setenv("DBUS_SESSION_BUS_ADDRESS", e.addr)
	tk, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	require.NoError(t, err)
	_, err = e.srv.VerifyAccessToken(tk.Token)
	require.NoError(t, err)
	assert.NotEmpty(t, e.broker.Requests(), "once the bus answers, the broker is used")
	assert.Equal(t, 1, browserOpened)

	var browser, brokered int
	for _, l := range lines() {
		if strings.Contains(l, "signing in through the browser") {
			browser++
			assert.Contains(t, l, "asked again")
		}
		if strings.Contains(l, "signing in through the identity broker") {
			brokered++
		}
	}
	assert.Equal(t, 1, browser, "the fallback is logged once")
	assert.Equal(t, 1, brokered, "the choice of the broker is logged once")
}

func TestBrokerRequired(t *testing.T) {
	bustest.SetSession(t) // no broker on it
	srv := entratest.NewServer(nil)
	defer srv.Close()
	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: clientOptions(srv),
		Broker:        &azinteractive.BrokerOptions{RequireBroker: true},
		OpenURL: func(context.Context, string) error {
			t.Error("RequireBroker opened the browser")
			return nil
		},
	})
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var unavailable *azinteractive.CredentialUnavailableError
	require.ErrorAs(t, err, &unavailable)
	assert.Contains(t, err.Error(), "RequireBroker")
	assert.Contains(t, err.Error(), "com.microsoft.identity.broker1")
	assert.Empty(t, srv.Requests())
}

func TestBrokerTooOld(t *testing.T) {
	e := newBrokerEnv(t, nil, &brokertest.Options{Version: "1.0.0", Unimplemented: []string{"acquireTokenInteractively"}})
	_, err := e.cred(t, &azinteractive.BrokerOptions{}, nil).GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope})
	var unavailable *azinteractive.CredentialUnavailableError
	require.ErrorAs(t, err, &unavailable)
	assert.Contains(t, err.Error(), "too old")
}

// lockedClock is a settable clock that the emulator's goroutines may read.
type lockedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lockedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *lockedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestBrokerSecretsNeverLeak runs brokered flows, succeeding and failing, with azcore's log
// at full verbosity and the emulator's log on, and looks for every token the emulator
// issued in the logs, the errors and the formatted values.
func TestBrokerSecretsNeverLeak(t *testing.T) {
	w := newLeakWitness(t)
	ctx := t.Context()
	srv := w.server(t, nil)
	addr := bustest.SetSession(t)
	b := brokertest.New(srv, addr, &brokertest.Options{DeviceAccount: entratest.DefaultUsername})
	t.Cleanup(b.Close)
	scopes := policy.TokenRequestOptions{Scopes: armScope}
	newCred := func(bo *azinteractive.BrokerOptions) *azinteractive.InteractiveBrowserCredential {
		o := &azinteractive.InteractiveBrowserCredentialOptions{ClientOptions: clientOptions(srv), EnableSupportLogging: true, Broker: bo}
		c, err := azinteractive.NewInteractiveBrowserCredential(o)
		require.NoError(t, err)
		w.format(o)
		return c
	}

	cred := newCred(&azinteractive.BrokerOptions{ParentWindowHandle: 7})
	rec, err := cred.Authenticate(ctx, &scopes)
	require.NoError(t, err)
	w.format(rec)
	for _, o := range []policy.TokenRequestOptions{scopes, {Scopes: graphScope}, {Scopes: armScope, EnableCAE: true}} {
		info, err := cred.GetTokenInfo(ctx, o)
		require.NoError(t, err)
		w.format(info, &info)
	}
	challenge := srv.RevokeSessions(entratest.DefaultUsername)
	_, err = cred.GetTokenInfo(ctx, policy.TokenRequestOptions{Scopes: armScope})
	require.NoError(t, err, "served from the index")
	info, err := cred.GetTokenInfo(ctx, policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true, Claims: challenge})
	require.NoError(t, err)
	w.format(info)
	w.err(cred.SignOut(ctx))

	def := newCred(&azinteractive.BrokerOptions{UseDefaultBrokerAccount: true})
	b.SetDeviceAccount(entratest.DefaultUsername)
	_, err = def.GetTokenInfo(ctx, scopes)
	w.err(err)

	for _, fail := range []func(){
		b.CancelSignIns,
		func() {
			b.FailSignIns(brokertest.Error{Status: brokertest.StatusIncorrectConfiguration, ErrorCode: 50011, Context: "AADSTS50011: redirect URI"})
		},
	} {
		fail()
		_, err := newCred(&azinteractive.BrokerOptions{}).GetTokenInfo(ctx, scopes)
		require.Error(t, err)
		w.err(err)
	}
	b.HoldSignIns()
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = newCred(&azinteractive.BrokerOptions{}).GetTokenInfo(tctx, scopes)
	cancel()
	require.Error(t, err)
	w.err(err)

	require.NotEmpty(t, srv.Secrets(), "the broker's tokens count as the emulator's secrets")
	w.check(t)
}

// TestBrokerLeavesNoGoroutines: a brokered credential holds no connection between calls.
// Goroutines are counted while the bus and the broker still run: once the bus stops,
// a connection the client had kept would end its goroutines by itself, and the check
// could not fail.
func TestBrokerLeavesNoGoroutines(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the D-Bus broker is tested on Linux only")
	}
	before := goleak.IgnoreCurrent()
	func() {
		bus, err := brokertest.NewSessionBus()
		if errors.Is(err, brokertest.ErrNoDBusDaemon) {
			bustest.Unavailable(t, err.Error())
		}
		require.NoError(t, err)
		defer bus.Close()
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Address())
		srv := entratest.NewServer(nil)
		defer srv.Close()
		b := brokertest.New(srv, bus.Address(), nil)
		defer b.Close()
		// The bus, the server and the broker's own goroutines are theirs.
		running := goleak.IgnoreCurrent()
		cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
			ClientOptions: clientOptions(srv), Broker: &azinteractive.BrokerOptions{},
		})
		require.NoError(t, err)
		for _, s := range [][]string{armScope, graphScope} {
			_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: s})
			require.NoError(t, err)
		}
		b.HoldSignIns()
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err = cred.Authenticate(ctx, nil)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		goleak.VerifyNone(t, running)
		// The credential lives on, unclosed, as applications keep theirs.
		_ = cred
	}()
	goleak.VerifyNone(t, before)
}
