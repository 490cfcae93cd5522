package azinteractive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/tracing"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

const (
	moduleName    = "azinteractive"
	moduleVersion = "v0.1.0"
)

// msalClient is the part of MSAL's public client that the core itself uses.
// Each credential's acquire function asks its client for the one flow method
// it needs, so this seam stays narrow and unit tests fake only what they use.
type msalClient interface {
	AcquireTokenSilent(ctx context.Context, scopes []string, opts ...public.AcquireSilentOption) (public.AuthResult, error)
}

// tokenRequest is one token request, validated, with the tenant resolved.
type tokenRequest struct {
	Scopes []string
	Claims string
	// TenantID is the tenant to pass MSAL: "" means the credential's own.
	TenantID  string
	EnableCAE bool
}

// acquireFunc is how a credential signs a user in: the one step that differs
// between credentials. The core calls it at most once at a time per credential.
type acquireFunc func(ctx context.Context, client msalClient, r tokenRequest) (public.AuthResult, error)

// newClientFunc builds the MSAL client of one CAE mode over its cache.
type newClientFunc func(cae bool, cache *tokencache.Cache) (msalClient, error)

// mode is MSAL's client and token cache for CAE or non-CAE tokens. MSAL
// requires the split (a CAE client announces the CP1 capability); the caches
// are linked so one sign-in serves both.
type mode struct {
	client msalClient
	cache  *tokencache.Cache
}

// credential is the core every credential embeds: silent first (the warm
// index, then MSAL's cache and refresh token), then the credential's acquire
// function unless automatic authentication is disabled.
type credential struct {
	name                    string
	spanGetToken, spanAuthn string
	acquire                 acquireFunc
	opts                    coreOptions
	tenant                  string
	allowedTenants          []string
	domainTenant            *domainTenant // tenant's ID, when tenant is a domain
	defaultScope            []string
	tracer                  tracing.Tracer
	modes                   [2]mode // indexed by cae
	now                     func() time.Time

	// index maps what selects a token to a token that may be served without
	// asking MSAL. Readers load it without locking; writers copy it under
	// indexMu and swap it in.
	index   atomic.Pointer[tokenIndex]
	indexMu sync.Mutex // serializes writers of index

	// record is the signed-in user, nil before anyone signed in.
	record atomic.Pointer[AuthenticationRecord]

	// records remembers the signed-in user beside a persistent cache; nil
	// when the application keeps records itself.
	records tokencache.RecordStore

	// generation counts tokens received, so that a silent call can tell
	// whether another one changed the cache while it ran.
	generation atomic.Uint64

	// redeeming lets one silent MSAL call run at a time (a call holds its
	// one slot). Each may redeem the user's refresh token, and an identity
	// provider that rotates refresh tokens honours each one once: of two
	// concurrent refreshes for different scopes, one would fail and the user
	// would be asked to sign in again. Only index misses get here, so
	// waiting is rare.
	redeeming chan struct{}

	silentFlights flights // one silent acquisition per token key at a time
	signInFlight  flights // one interactive sign-in per credential at a time
}

// newCredential builds the core. newClient is nil except in unit tests.
func newCredential(name string, o coreOptions, acquire acquireFunc, newClient newClientFunc) (*credential, error) {
	c := &credential{
		name:         name,
		spanGetToken: name + ".GetToken",
		spanAuthn:    name + ".Authenticate",
		acquire:      acquire,
		opts:         o,
		now:          time.Now,
		redeeming:    make(chan struct{}, 1),
	}
	// Defaults, the AuthenticationRecord's client, tenant and authority,
	// AZURE_AUTHORITY_HOST: options_resolve.go.
	o, host, err := resolveOptions(name, o)
	if err != nil {
		return nil, err
	}
	c.tenant = o.TenantID
	c.allowedTenants = o.AdditionallyAllowedTenants
	if r := o.AuthenticationRecord; !r.IsZero() {
		rec := r
		c.record.Store(&rec)
	}
	c.opts = o
	c.records = o.Cache.Records()
	if c.record.Load() == nil && c.records != nil {
		// Remember-me: the user who signed in last time, with these options.
		if rec, ok := c.loadRecord(); ok {
			c.record.Store(&rec)
		}
	}

	c.defaultScope = defaultScopeFor(o.Cloud, host)

	// Every body this pipeline carries is a secret: passwords, codes and
	// refresh tokens out, tokens and device codes back. Applications set
	// IncludeBody for their service clients, often in options they share
	// with credentials; it must not put tokens in their log.
	o.Logging.IncludeBody = false
	azClient, err := azcore.NewClient(moduleName, moduleVersion, runtime.PipelineOptions{
		Tracing: runtime.TracingOptions{Namespace: "Microsoft.Entra"},
	}, &o.ClientOptions)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.tracer = azClient.Tracer()
	c.domainTenant = newDomainTenant(o.TenantID, host, pipelineClient{azClient})
	if newClient == nil {
		newClient = c.msalClientFactory(host+o.TenantID, azClient)
	}
	warn := func(msg string) { logf("%s: %s", name, msg) }
	for i, cae := range []bool{false, true} {
		tc, err := o.Cache.Open(cae, warn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		client, err := newClient(cae, tc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		c.modes[i] = mode{client: client, cache: tc}
	}
	tokencache.Link(c.modes[0].cache, c.modes[1].cache)
	c.index.Store(&tokenIndex{})
	return c, nil
}

// msalClientFactory returns the production newClientFunc.
func (c *credential) msalClientFactory(authority string, azClient *azcore.Client) newClientFunc {
	return func(cae bool, tc *tokencache.Cache) (msalClient, error) {
		o := []public.Option{
			public.WithAuthority(authority),
			public.WithCache(tc),
			public.WithHTTPClient(pipelineClient{azClient}),
		}
		if cae {
			o = append(o, public.WithClientCapabilities([]string{"CP1"}))
		}
		if c.opts.DisableInstanceDiscovery || strings.EqualFold(c.tenant, adfsTenantID) {
			o = append(o, public.WithInstanceDiscovery(false))
		}
		pc, err := public.New(c.opts.ClientID, o...)
		if err != nil {
			return nil, err
		}
		return pc, nil
	}
}

// defaultScopeFor returns ARM's ".default" scope on the clouds whose ARM
// audience is known, for Authenticate calls that name no scope.
func defaultScopeFor(cc cloud.Configuration, host string) []string {
	audience := cc.Services[cloud.ResourceManager].Audience
	if audience == "" {
		for _, known := range []cloud.Configuration{cloud.AzurePublic, cloud.AzureGovernment, cloud.AzureChina} {
			if strings.EqualFold(strings.TrimSuffix(known.ActiveDirectoryAuthorityHost, "/")+"/", host) {
				audience = known.Services[cloud.ResourceManager].Audience
			}
		}
	}
	if audience == "" {
		return nil
	}
	// azidentity's form: for ARM's audience "https://management.core.windows.net/"
	// that is ".../"+"/.default", a double slash Entra ID expects for resources
	// registered with a trailing slash.
	return []string{audience + "/.default"}
}

// request resolves the tenant of opts. Its scopes are validated separately,
// by validateScopes, because the warm path needn't: only validated requests
// are ever indexed, so an invalid one can't find a token there.
func (c *credential) request(ctx context.Context, opts policy.TokenRequestOptions) (tokenRequest, error) {
	t, err := c.resolveTenant(ctx, opts.TenantID)
	if err != nil {
		return tokenRequest{}, err
	}
	if t == c.tenant {
		// MSAL refuses WithTenantID("organizations"); "" means the authority's.
		t = ""
	}
	return tokenRequest{Scopes: opts.Scopes, Claims: opts.Claims, TenantID: t, EnableCAE: opts.EnableCAE}, nil
}

// GetToken implements azcore.TokenCredential for the embedding credential.
func (c *credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	ctx, end := runtime.StartSpan(ctx, c.spanGetToken, c.tracer, nil)
	e, err := c.getToken(ctx, opts)
	end(err)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return azcore.AccessToken{Token: e.token, ExpiresOn: e.expiresOn, RefreshOn: e.refreshOn}, nil
}

// GetTokenInfo is GetToken with the token's type and account.
func (c *credential) GetTokenInfo(ctx context.Context, opts policy.TokenRequestOptions) (TokenInfo, error) {
	ctx, end := runtime.StartSpan(ctx, c.spanGetToken, c.tracer, nil)
	e, err := c.getToken(ctx, opts)
	end(err)
	if err != nil {
		return TokenInfo{}, err
	}
	info := TokenInfo{Token: e.token, ExpiresOn: e.expiresOn, RefreshOn: e.refreshOn, TokenType: e.tokenType}
	if e.account != nil {
		info.Account = *e.account
	}
	return info, nil
}

func (c *credential) getToken(ctx context.Context, opts policy.TokenRequestOptions) (indexEntry, error) {
	r, err := c.request(ctx, opts)
	if err != nil {
		return indexEntry{}, err
	}
	if r.Claims == "" {
		// The warm path: no MSAL, no lock, no allocation for one scope.
		if e, ok := c.index.Load().lookup(r, monoNow()); ok {
			return e, nil
		}
	}
	if err := validateScopes(c.name, r.Scopes); err != nil {
		return indexEntry{}, err
	}
	// A sign-in by another goroutine may make the silent attempt succeed,
	// so try silently again after waiting for one (bounded, in case the
	// user keeps signing in to accounts that lack this token).
	for attempt := 0; ; attempt++ {
		e, silentErr := c.silent(ctx, r)
		if silentErr == nil {
			return e, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return indexEntry{}, classify(ctx, c.name, ctxErr)
		}
		if c.opts.DisableAutomaticAuthentication {
			var cause error
			if !errors.Is(silentErr, errNoAccount) { // else the message already says a sign-in is needed
				cause = classify(ctx, c.name, silentErr)
			}
			return indexEntry{}, newAuthenticationRequiredError(c.name, opts, cause)
		}
		e, led, err := c.interactive(ctx, r, attempt >= 2)
		if led || err != nil {
			return e, err
		}
	}
}

// silent returns a token from the index or MSAL's cache, redeeming a refresh
// token if need be, one caller per token key at a time.
func (c *credential) silent(ctx context.Context, r tokenRequest) (indexEntry, error) {
	rec := c.record.Load()
	if rec == nil {
		return indexEntry{}, errNoAccount
	}
	key := r.flightKey()
	v, err := c.silentFlights.do(ctx, key, func(ctx context.Context) (any, error) {
		// A flight that finished just before this one began may have
		// indexed the token already.
		if r.Claims == "" {
			if e, ok := c.index.Load().lookup(r, monoNow()); ok {
				return e, nil
			}
		}
		select {
		case c.redeeming <- struct{}{}:
			defer func() { <-c.redeeming }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		m := c.mode(r.EnableCAE)
		gen := c.generation.Load()
		ar, err := m.client.AcquireTokenSilent(ctx, r.Scopes,
			public.WithSilentAccount(rec.account()), public.WithClaims(r.Claims), public.WithTenantID(r.TenantID))
		if err != nil && ar.AccessToken == "" && c.generation.Load() != gen && ctx.Err() == nil {
			// Another flight stored tokens meanwhile, perhaps rotating the
			// refresh token this call redeemed: try once more with the new one.
			ar, err = m.client.AcquireTokenSilent(ctx, r.Scopes,
				public.WithSilentAccount(rec.account()), public.WithClaims(r.Claims), public.WithTenantID(r.TenantID))
		}
		if err != nil {
			if ar.AccessToken != "" && ar.ExpiresOn.After(c.now()) {
				// MSAL's proactive refresh failed but the cached token is
				// still good: serve it rather than prompt.
				logf("%s: refreshing a token ahead of its expiry failed; using the cached token, valid until %s: %v", c.name, ar.ExpiresOn.UTC().Format(time.RFC3339), networkLine(withoutResponseBody(err).Error()))
				return c.remember(r, ar, rec), nil
			}
			return nil, err
		}
		return c.remember(r, ar, rec), nil
	})
	if err != nil {
		return indexEntry{}, err
	}
	return v.(indexEntry), nil
}

// interactive runs the credential's sign-in, or waits for the one another
// goroutine is running. led reports whether this caller ran it; a waiter
// whose leader succeeded returns !led and nil to try silently again. force
// makes a waiter run its own sign-in after the current one.
func (c *credential) interactive(ctx context.Context, r tokenRequest, force bool) (e indexEntry, led bool, err error) {
	for {
		f, leader := c.signInFlight.join("sign-in")
		if !leader {
			if werr := f.wait(ctx); werr != nil {
				return indexEntry{}, false, classify(ctx, c.name, werr)
			}
			if f.err == nil && !force {
				return indexEntry{}, false, nil
			}
			if f.err != nil && !isContextError(f.err) {
				// The user refused or failed this sign-in a moment ago; a
				// second prompt for the same burst of requests would nag.
				return indexEntry{}, false, f.err
			}
			continue
		}
		v, err := c.signIn(ctx, r)
		f.finish(v, err)
		if err != nil {
			return indexEntry{}, true, err
		}
		return v.(indexEntry), true, nil
	}
}

// signIn calls the credential's acquire function and records the result.
func (c *credential) signIn(ctx context.Context, r tokenRequest) (any, error) {
	logf("%s: starting an interactive sign-in", c.name)
	ar, err := c.acquire(ctx, c.mode(r.EnableCAE).client, r)
	if err != nil {
		err = classify(ctx, c.name, err)
		logf("%s: sign-in failed: %s", c.name, firstLine(err.Error()))
		return nil, err
	}
	rec, err := newAuthenticationRecord(ar)
	if err != nil {
		return nil, classify(ctx, c.name, err)
	}
	if prev := c.record.Load(); prev == nil || prev.HomeAccountID != rec.HomeAccountID {
		// Another user: tokens indexed for the previous one must not be served.
		c.indexMu.Lock()
		c.index.Store(&tokenIndex{})
		c.indexMu.Unlock()
	}
	c.record.Store(&rec)
	if c.opts.EnableSupportLogging {
		logf("%s: signed in %s (home account %s) in tenant %s", c.name, rec.Username, rec.HomeAccountID, rec.TenantID)
	} else {
		logf("%s: sign-in succeeded", c.name)
	}
	c.saveRecord(rec)
	return c.remember(r, ar, &rec), nil
}

// Authenticate signs a user in interactively, always, and returns the record
// that identifies the user for later silent use.
func (c *credential) Authenticate(ctx context.Context, opts *policy.TokenRequestOptions) (rec AuthenticationRecord, err error) {
	ctx, end := runtime.StartSpan(ctx, c.spanAuthn, c.tracer, nil)
	defer func() { end(err) }()
	var o policy.TokenRequestOptions
	if opts != nil {
		o = *opts
	}
	if len(o.Scopes) == 0 {
		if c.defaultScope == nil {
			return AuthenticationRecord{}, fmt.Errorf("%s: %w", c.name, errNoDefaultScope)
		}
		o.Scopes = c.defaultScope
	}
	r, err := c.request(ctx, o)
	if err == nil {
		err = validateScopes(c.name, r.Scopes)
	}
	if err != nil {
		return AuthenticationRecord{}, err
	}
	if _, _, err = c.interactive(ctx, r, true); err != nil {
		return AuthenticationRecord{}, err
	}
	if p := c.record.Load(); p != nil {
		return *p, nil
	}
	return AuthenticationRecord{}, newAuthenticationFailedError(c.name, "the sign-in returned no account", "", nil)
}

// SignOut forgets the signed-in user: their tokens leave memory and the
// token cache (persistent or not), and the credential's record is cleared.
func (c *credential) SignOut(ctx context.Context) error {
	rec := c.record.Load()
	c.indexMu.Lock()
	c.index.Store(&tokenIndex{})
	c.indexMu.Unlock()
	c.record.Store(nil)
	var errs []error
	if rec == nil || rec.HomeAccountID == "" {
		if c.records != nil {
			return c.records.Delete(c.recordKey())
		}
		return nil
	}
	for _, m := range c.modes {
		if err := m.cache.RemoveAccount(ctx, rec.HomeAccountID); err != nil {
			errs = append(errs, err)
		}
	}
	if c.records != nil {
		if err := c.records.Delete(c.recordKey()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: signing out: %w", c.name, err)
	}
	logf("%s: signed out", c.name)
	return nil
}

func (c *credential) mode(cae bool) mode {
	if cae {
		return c.modes[1]
	}
	return c.modes[0]
}

// remember indexes a token MSAL returned and returns its index entry.
func (c *credential) remember(r tokenRequest, ar public.AuthResult, rec *AuthenticationRecord) indexEntry {
	c.generation.Add(1)
	e := newIndexEntry(ar, rec)
	if r.Claims == "" && e.serveUntil != 0 {
		c.indexMu.Lock()
		c.index.Store(c.index.Load().with(r, e))
		c.indexMu.Unlock()
	}
	if c.opts.EnableSupportLogging {
		logf("%s.GetToken() acquired a token for scopes %q for %s", c.name, r.Scopes, rec.Username)
	} else {
		logf("%s.GetToken() acquired a token for scopes %q", c.name, r.Scopes)
	}
	return e
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

var errNoAccount = errors.New("no user has signed in")

// recordKey names this application's remembered record.
func (c *credential) recordKey() string { return strings.ToLower(c.opts.ClientID) }

// loadRecord reads the remembered record. A missing, unreadable or foreign
// record is no record: the user signs in again.
func (c *credential) loadRecord() (AuthenticationRecord, bool) {
	b, err := c.records.Load(c.recordKey())
	if err != nil {
		logf("%s: the remembered AuthenticationRecord can't be read; the user will sign in again: %v", c.name, err)
		return AuthenticationRecord{}, false
	}
	if len(b) == 0 {
		return AuthenticationRecord{}, false
	}
	var rec AuthenticationRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		logf("%s: ignoring the remembered AuthenticationRecord: %v", c.name, err)
		return AuthenticationRecord{}, false
	}
	if rec.ClientID != "" && !strings.EqualFold(rec.ClientID, c.opts.ClientID) {
		return AuthenticationRecord{}, false
	}
	return rec, true
}

// saveRecord remembers rec, when the cache remembers records. Failing to is
// logged, not fatal: the sign-in itself succeeded.
func (c *credential) saveRecord(rec AuthenticationRecord) {
	if c.records == nil {
		return
	}
	b, err := json.Marshal(rec)
	if err == nil {
		err = c.records.Save(c.recordKey(), b)
	}
	if err != nil {
		logf("%s: couldn't remember the AuthenticationRecord: %v", c.name, err)
	}
}
