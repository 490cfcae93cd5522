package azinteractive

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/azinteractive/azinteractive/internal/broker"
	"github.com/azinteractive/azinteractive/internal/msalhttp"
)

// BrokerOptions makes [InteractiveBrowserCredential] sign users in through the
// operating system's authentication broker, which Conditional Access policies
// that require a compliant device need: on Linux, Microsoft's identity broker
// (installed with Intune Company Portal); on Windows, the Web Account Manager
// (WAM) through Microsoft's MSALRuntime library, which the application ships
// beside its executable. It's the counterpart of Python's
// InteractiveBrowserBrokerCredential. Where no broker can be used (macOS, or
// none is running) the credential signs in through the browser and logs why,
// or, with RequireBroker, returns a [CredentialUnavailableError].
type BrokerOptions struct {
	// ParentWindowHandle is the window the broker's sign-in dialog belongs
	// to (azure-identity's parent_window_handle). Zero means none.
	ParentWindowHandle uintptr

	// EnableMSAPassthrough lets personal Microsoft accounts sign in to
	// first-party Microsoft applications through a work or school tenant
	// (azure-identity's enable_msa_passthrough).
	EnableMSAPassthrough bool

	// UseDefaultBrokerAccount first signs in silently as the device's account
	// (on Windows, the account signed in to Windows; on Linux, the broker's
	// account of LoginHint, else its first), before showing any prompt.
	UseDefaultBrokerAccount bool

	// RequireBroker makes the credential return a [CredentialUnavailableError]
	// when no broker can be used, instead of signing in through the browser.
	RequireBroker bool

	// MSALRuntimePath, on Windows, is the absolute path of MSALRuntime
	// (msalruntime.dll, msalruntime_arm64.dll or msalruntime_x86.dll) or its
	// directory; empty means beside the executable. The working directory and
	// PATH are never searched.
	MSALRuntimePath string
}

// brokerClient is what the broker backend asks of a broker: the Linux
// broker's D-Bus client, or the Windows broker's MSALRuntime binding.
type brokerClient interface {
	Available(ctx context.Context) (bool, error)
	Accounts(ctx context.Context, clientID string) ([]broker.Account, error)
	AcquireTokenSilently(ctx context.Context, p broker.TokenParams) (*broker.TokenResult, error)
	AcquireTokenInteractively(ctx context.Context, p broker.TokenParams) (*broker.TokenResult, error)
	RemoveAccount(ctx context.Context, clientID string, a broker.Account) error
}

// windowsBroker is set by broker_windows.go.
var windowsBroker func(BrokerOptions) brokerClient

// brokerBackend signs users in through the broker, or the browser (fallback)
// when there is none. The first definite answer is kept, so one credential
// doesn't mix the two; a call that gets none (the bus failed) falls back
// without choosing. With RequireBroker a missing broker is an error instead.
type brokerBackend struct {
	cfg      backendConfig
	browser  InteractiveBrowserCredentialOptions // Broker, LoginHint, Prompt, DomainHint, Timeout
	client   brokerClient                        // nil where no broker is supported
	fallback backend
	goos     string

	mu                 sync.Mutex // guards decided, viaBroker and undecidedLogged
	decided, viaBroker bool
	undecidedLogged    bool     // a fallback without a decision was logged
	accounts           sync.Map // broker.Account by home account ID: silent requests need the broker's own object
}

// brokerBackendFactory builds the broker backend over the browser's.
func brokerBackendFactory(o InteractiveBrowserCredentialOptions, goos string, fallback backendFactory) backendFactory {
	return func(cfg backendConfig) (backend, error) {
		fb, err := fallback(cfg)
		if err != nil {
			return nil, err
		}
		var client brokerClient
		switch {
		case goos == "linux":
			client = &broker.Client{}
		case goos == "windows" && windowsBroker != nil:
			client = windowsBroker(*o.Broker)
		}
		return &brokerBackend{cfg: cfg, browser: o, client: client, fallback: fb, goos: goos}, nil
	}
}

// use returns whether to use the broker, deciding at the first call that
// gets a definite answer.
func (b *brokerBackend) use(ctx context.Context) (bool, error) {
	b.mu.Lock()
	decided, viaBroker := b.decided, b.viaBroker
	b.mu.Unlock()
	if decided {
		return viaBroker, nil
	}
	why, definite := "", true
	if b.client == nil {
		why = "the identity broker is supported on Linux and Windows; the macOS broker is not implemented"
	} else {
		ok, err := b.client.Available(ctx)
		switch {
		case ctx.Err() != nil:
			return false, withContextCause(ctx, cmp.Or(err, ctx.Err()))
		case err != nil:
			// A bus that failed may work next time; no session bus, or
			// MSALRuntime (loaded once per process) failing, won't.
			why, definite = err.Error(), b.goos == "windows" || errors.Is(err, broker.ErrNoSessionBus)
		case !ok:
			why = broker.ErrUnavailable.Error()
		}
	}
	why = networkLine(why) // it may quote another process
	if why != "" && b.browser.Broker.RequireBroker {
		return false, newCredentialUnavailableError(b.cfg.name, "RequireBroker is set and no identity broker can be used: "+why, "", nil)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.decided:
	case why == "":
		b.decided, b.viaBroker = true, true
		logf("%s: signing in through the identity broker", b.cfg.name)
	case definite:
		b.decided = true
		logf("%s: signing in through the browser: %s", b.cfg.name, why)
	case !b.undecidedLogged:
		b.undecidedLogged = true
		logf("%s: signing in through the browser this time; the identity broker will be asked again next time: %s", b.cfg.name, why)
	}
	return b.viaBroker, nil
}

func (b *brokerBackend) silent(ctx context.Context, r tokenRequest, account AuthenticationRecord) (tokenResult, error) {
	viaBroker, err := b.use(ctx)
	if err != nil {
		return tokenResult{}, err
	}
	if !viaBroker {
		return b.fallback.silent(ctx, r, account)
	}
	acct, err := b.account(ctx, account)
	if err != nil {
		return tokenResult{}, b.brokerError(err)
	}
	res, err := b.client.AcquireTokenSilently(ctx, b.params(r, &acct))
	return b.result(ctx, res, err, &acct, r)
}

func (b *brokerBackend) interactive(ctx context.Context, r tokenRequest) (tokenResult, error) {
	viaBroker, err := b.use(ctx)
	if err != nil {
		return tokenResult{}, err
	}
	if !viaBroker {
		return b.fallback.interactive(ctx, r)
	}
	if b.browser.Broker.UseDefaultBrokerAccount {
		res, err := b.defaultAccount(ctx, r)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return tokenResult{}, withContextCause(ctx, ctx.Err())
		}
		logf("%s: signing in silently as the device's account failed; asking the user: %s", b.cfg.name, firstLine(err.Error()))
	}
	// The broker's dialog gets as long as the browser's sign-in would.
	ctx, cancel := withUserTimeout(ctx, b.browser.Timeout)
	defer cancel()
	p := b.params(r, nil)
	p.Username, p.Prompt, p.DomainHint, p.ParentWindow = b.browser.LoginHint, b.browser.Prompt, b.browser.DomainHint, b.browser.Broker.ParentWindowHandle
	res, err := b.client.AcquireTokenInteractively(ctx, p)
	return b.result(ctx, res, err, nil, r)
}

// defaultAccount gets a token silently for the device's account: the
// account of LoginHint if the broker knows it, else its first.
func (b *brokerBackend) defaultAccount(ctx context.Context, r tokenRequest) (tokenResult, error) {
	// WAM signs in the OS account itself, as MSAL for Python asks it to.
	if w, ok := b.client.(interface {
		SignInSilently(context.Context, broker.TokenParams) (*broker.TokenResult, error)
	}); ok {
		res, err := w.SignInSilently(ctx, b.params(r, nil))
		if err == nil && b.browser.LoginHint != "" && !strings.EqualFold(res.Account.Username, b.browser.LoginHint) {
			return tokenResult{}, errors.New("the device's account isn't LoginHint's")
		}
		return b.result(ctx, res, err, nil, r)
	}
	accounts, err := b.client.Accounts(ctx, b.cfg.clientID)
	if err != nil {
		return tokenResult{}, b.brokerError(err)
	}
	if len(accounts) == 0 {
		return tokenResult{}, errors.New("the identity broker knows no account on this device")
	}
	acct := accounts[0]
	if i := slices.IndexFunc(accounts, func(a broker.Account) bool { return strings.EqualFold(a.Username, b.browser.LoginHint) }); i >= 0 && b.browser.LoginHint != "" {
		acct = accounts[i]
	}
	res, err := b.client.AcquireTokenSilently(ctx, b.params(r, &acct))
	return b.result(ctx, res, err, &acct, r)
}

func (b *brokerBackend) removeAccount(ctx context.Context, account AuthenticationRecord) error {
	viaBroker, err := b.use(ctx)
	if err != nil {
		return err
	}
	if !viaBroker {
		return b.fallback.removeAccount(ctx, account)
	}
	acct, err := b.account(ctx, account)
	if errors.Is(err, errNotInBroker) {
		return nil // nothing to remove
	}
	if err == nil {
		err = b.client.RemoveAccount(ctx, b.cfg.clientID, acct)
	}
	if err != nil {
		return b.brokerError(err)
	}
	b.accounts.Delete(account.HomeAccountID)
	return nil
}

// errNotInBroker: the broker doesn't know the credential's account.
var errNotInBroker = fmt.Errorf("%w: the identity broker doesn't know the account; sign in again", errNoAccount)

// account returns the broker's account object for a record.
func (b *brokerBackend) account(ctx context.Context, rec AuthenticationRecord) (broker.Account, error) {
	if a, ok := b.accounts.Load(rec.HomeAccountID); ok {
		return a.(broker.Account), nil
	}
	accounts, err := b.client.Accounts(ctx, b.cfg.clientID)
	if err != nil {
		return broker.Account{}, err
	}
	for _, a := range accounts {
		if a.HomeAccountID != "" && strings.EqualFold(a.HomeAccountID, rec.HomeAccountID) {
			b.accounts.Store(a.HomeAccountID, a)
			return a, nil
		}
	}
	return broker.Account{}, errNotInBroker
}

func (b *brokerBackend) params(r tokenRequest, acct *broker.Account) broker.TokenParams {
	claims := r.Claims
	if r.EnableCAE {
		claims = withCP1(claims)
	}
	return broker.TokenParams{
		ClientID:       b.cfg.clientID,
		Authority:      b.cfg.authorityHost + cmp.Or(r.TenantID, b.cfg.tenant),
		Scopes:         r.Scopes,
		Claims:         claims,
		Account:        acct,
		MSAPassthrough: b.browser.Broker.EnableMSAPassthrough,
	}
}

// result maps a broker call's error, or checks its token as any network
// answer (a live token of the account and tenant asked for, a bounded
// username, the configured cloud) and remembers its account.
func (b *brokerBackend) result(ctx context.Context, res *broker.TokenResult, err error, asked *broker.Account, r tokenRequest) (tokenResult, error) {
	switch {
	case err != nil && ctx.Err() != nil:
		return tokenResult{}, withContextCause(ctx, err)
	case err != nil:
		return tokenResult{}, b.brokerError(err)
	}
	a, tenant := res.Account, cmp.Or(r.TenantID, b.cfg.tenant)
	switch {
	case a.HomeAccountID == "":
		return tokenResult{}, fmt.Errorf("%w: the token response names no account", broker.ErrBadResponse)
	case asked != nil && !strings.EqualFold(a.HomeAccountID, asked.HomeAccountID):
		return tokenResult{}, fmt.Errorf("%w: the token is for another account than the one asked for", broker.ErrBadResponse)
	case msalhttp.IsTenantGUID(tenant) && !strings.EqualFold(a.Realm, tenant):
		return tokenResult{}, fmt.Errorf("%w: the token is for another tenant than the one asked for", broker.ErrBadResponse)
	case !res.ExpiresOn.After(b.cfg.now()):
		return tokenResult{}, fmt.Errorf("%w: the token has expired", broker.ErrBadResponse)
	case len(a.Username) > maxUsernameLen:
		return tokenResult{}, fmt.Errorf("%w: %w", broker.ErrBadResponse, tooLong("the account's username", len(a.Username), maxUsernameLen))
	}
	b.accounts.Store(a.HomeAccountID, a)
	authority := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(b.cfg.authorityHost, "https://"), "/"))
	if env := strings.ToLower(a.Environment); env != "" && msalhttp.SameCloud(env, authority) {
		authority = env
	}
	return tokenResult{
		Token:     res.AccessToken,
		TokenType: res.TokenType,
		ExpiresOn: res.ExpiresOn.UTC(),
		Account:   newRecord(authority, b.cfg.clientID, a.HomeAccountID, a.Realm, a.Username),
	}, nil
}

// withCP1 adds the CP1 client capability (CAE) to a claims request, as MSAL
// does for CAE clients: the broker has no capabilities option of its own.
func withCP1(claims string) string {
	doc := map[string]any{}
	if strings.TrimSpace(claims) != "" {
		if err := json.Unmarshal([]byte(claims), &doc); err != nil {
			return claims // the service will say what's wrong with it
		}
	}
	at, _ := doc["access_token"].(map[string]any)
	if at == nil {
		at = map[string]any{}
	}
	at["xms_cc"] = map[string]any{"values": []string{"CP1"}}
	doc["access_token"] = at
	b, err := json.Marshal(doc)
	if err != nil {
		return claims
	}
	return string(b)
}

// brokerError gives the broker's failures this module's error types, with
// the broker's own error in the chain.
func (b *brokerBackend) brokerError(err error) error {
	var be *broker.Error
	switch {
	case errors.As(err, &be):
		e := newAuthenticationFailedError(b.cfg.name, "the identity broker refused the sign-in", "", err)
		e.description = networkText(err.Error())
		// The service's number as the broker quotes it, else the broker's
		// errorCode, often the same.
		if n, ok := aadstsCode(be.Context, false); ok {
			e.ErrorCodes = []int{n}
		} else if be.ErrorCode > 0 && be.ErrorCode <= math.MaxInt32 {
			e.ErrorCodes = []int{int(be.ErrorCode)}
		}
		switch {
		case be.Canceled():
			e.message, e.hint = "the sign-in was canceled in the identity broker's window", oauthHints["access_denied"]
		case be.InteractionRequired():
			e.ErrorCode = "interaction_required"
			e.message = "the identity broker needs the user to sign in interactively"
		case be.Status == broker.StatusAccountNotFound:
			e.message, e.hint = "the identity broker doesn't know the account", oauthHints["access_denied"]
		case be.Status == broker.StatusNoNetwork, be.Status == broker.StatusNetworkTemporarilyUnavailable:
			e.message, e.hint = "the identity broker can't reach the network", "Check the device's network connection, then try again."
		}
		return e
	case errors.Is(err, broker.ErrTooOld):
		return newCredentialUnavailableError(b.cfg.name, "the identity broker is too old for this module", "Update microsoft-identity-broker.", err)
	case errors.Is(err, broker.ErrUnavailable):
		return newCredentialUnavailableError(b.cfg.name, "the identity broker isn't reachable", "", err)
	case errors.Is(err, broker.ErrBrokerGone):
		return newAuthenticationFailedError(b.cfg.name, "the identity broker stopped or restarted before it answered", "Try again.", err)
	case errors.Is(err, errNotInBroker):
		return err
	}
	e := newAuthenticationFailedError(b.cfg.name, "the identity broker failed", "", err)
	e.description = networkText(err.Error())
	return e
}
