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
	"github.com/azinteractive/azinteractive/internal/msalhttp"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

const (
	moduleName    = "azinteractive"
	moduleVersion = "v0.1.0"
)

var _ = []azcore.TokenCredential{(*InteractiveBrowserCredential)(nil), (*DeviceCodeCredential)(nil), (*UsernamePasswordCredential)(nil)}

// credential is the core every credential embeds: silent first (the warm
// index, then the backend's cache and refresh token), then the backend's
// sign-in unless automatic authentication is disabled.
type credential struct {
	name         string
	opts         coreOptions // resolved
	domainTenant *msalhttp.DomainTenant
	defaultScope []string
	tracer       tracing.Tracer
	traced       bool // whether tracer records spans; the warm path starts none when not
	backend      backend
	store        *tokencache.Store
	now          func() time.Time       // the wall clock expiry is judged by; tests move it
	records      tokencache.RecordStore // remembers the user beside a persistent cache, or nil

	session atomic.Pointer[session] // read without locking
	mu      sync.Mutex              // serializes writers of session, and writes into its index

	silentFlights flights // one silent acquisition per silentKey at a time
	signInFlight  flights // one interactive sign-in at a time
}

// session is who is signed in (nil record: nobody) and their warm tokens.
// Only its index's entries change once published: signing out, or in as
// another user, publishes a new epoch. A call indexes a token only into the
// epoch it began in, so a signed-out user's token is never served.
type session struct {
	record *AuthenticationRecord
	index  *tokenIndex
	epoch  uint64
}

func newCredential(name string, o coreOptions, newBackend backendFactory) (*credential, error) {
	o, host, err := resolveOptions(name, o)
	if err != nil {
		return nil, err
	}
	c := &credential{name: name, opts: o, now: time.Now, records: tokencache.RecordsOf(o.Cache)}
	rec := o.AuthenticationRecord
	record := &rec
	if isZeroRecord(rec) {
		record = c.loadRecord() // remember-me: who signed in last time
	}
	c.session.Store(&session{record: record, index: newTokenIndex()})
	c.defaultScope = defaultScopeFor(o.Cloud, host)

	// Every body this pipeline carries is a secret (passwords, codes, tokens);
	// an IncludeBody shared with service clients must not log them.
	o.Logging.IncludeBody = false
	azClient, err := azcore.NewClient(moduleName, moduleVersion, runtime.PipelineOptions{
		Tracing: runtime.TracingOptions{Namespace: "Microsoft.Entra"},
	}, &o.ClientOptions)
	if err == nil {
		c.store, err = tokencache.Open(o.Cache, func(msg string) { logf("%s: %s", name, msg) })
	}
	if err == nil {
		c.backend, err = newBackend(backendConfig{
			name:              name,
			clientID:          o.ClientID,
			authorityHost:     host,
			tenant:            o.TenantID,
			instanceDiscovery: !o.DisableInstanceDiscovery,
			pipeline:          azClient,
			tenantKnown:       c.signedInTenant,
			store:             c.store,
			now:               func() time.Time { return c.now() },
		})
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.tracer = azClient.Tracer()
	c.traced = c.tracer.Enabled()
	c.domainTenant = msalhttp.NewDomainTenant(o.TenantID, host, msalhttp.Client{Pipeline: azClient, Log: logLine})
	return c, nil
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
	// azidentity's form: ARM's audience ends in "/", and Entra ID expects the
	// double slash for resources registered with a trailing slash.
	return []string{audience + "/.default"}
}

// request resolves the tenant of opts and validates its scopes.
func (c *credential) request(ctx context.Context, opts policy.TokenRequestOptions) (tokenRequest, error) {
	t, err := c.resolveTenant(ctx, opts.TenantID)
	if err == nil {
		err = validateScopes(c.name, opts.Scopes)
	}
	if err != nil {
		return tokenRequest{}, err
	}
	if t == c.opts.TenantID {
		// MSAL refuses WithTenantID("organizations"); "" means the authority's.
		t = ""
	}
	opts.TenantID = t
	return opts, nil
}

// GetToken requests an access token from Microsoft Entra ID: from memory
// while it holds a fresh one, then silently (the token cache, a refresh
// token), then by signing the user in the credential's way unless
// DisableAutomaticAuthentication is set. Goroutines that ask at once share
// one sign-in. Azure SDK clients call it.
func (c *credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if c == nil {
		return azcore.AccessToken{}, errZeroCredential
	}
	if !c.traced && len(opts.Scopes) == 1 && opts.Claims == "" && opts.TenantID == "" {
		// The common request needs no tenant resolution: only validated
		// requests are indexed, and "" is the credential's own tenant.
		k := indexKey{scope: opts.Scopes[0], cae: opts.EnableCAE}
		if e, ok := c.session.Load().index.get(k, c.now().UnixNano()); ok {
			return e.token, nil
		}
	}
	e, err := c.getToken(ctx, opts)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return e.token, nil
}

// GetTokenInfo is GetToken returning the token's type and account as well.
func (c *credential) GetTokenInfo(ctx context.Context, opts policy.TokenRequestOptions) (TokenInfo, error) {
	if c == nil {
		return TokenInfo{}, errZeroCredential
	}
	e, err := c.getToken(ctx, opts)
	if err != nil {
		return TokenInfo{}, err
	}
	t := e.token
	return TokenInfo{Token: t.Token, ExpiresOn: t.ExpiresOn, RefreshOn: t.RefreshOn, TokenType: e.tokenType, Account: *e.account}, nil
}

func (c *credential) getToken(ctx context.Context, opts policy.TokenRequestOptions) (_ *indexEntry, err error) {
	ctx, end := runtime.StartSpan(ctx, c.name+".GetToken", c.tracer, nil)
	defer func() { end(err) }()
	r, err := c.request(ctx, opts)
	if err != nil {
		return nil, err
	}
	if r.Claims == "" {
		if e, ok := c.session.Load().index.get(keyOf(r), c.now().UnixNano()); ok {
			return e, nil
		}
	}
	// Another goroutine's sign-in may make silence succeed: try again after
	// one (bounded, should the user keep choosing accounts that lack it).
	for attempt := 0; ; attempt++ {
		e, silentErr := c.silent(ctx, r)
		if silentErr == nil {
			return e, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, classify(ctx, c.name, ctxErr)
		}
		if c.opts.DisableAutomaticAuthentication {
			var cause error
			if !errors.Is(silentErr, errNoAccount) { // else the message already says a sign-in is needed
				cause = classify(ctx, c.name, silentErr)
			}
			return nil, newAuthenticationRequiredError(c.name, opts, cause)
		}
		e, led, err := c.interactive(ctx, r, attempt >= 2)
		if led || err != nil {
			return e, err
		}
	}
}

// silent returns a token from the index or the backend's cache, redeeming a
// refresh token if need be, one caller per token key at a time.
func (c *credential) silent(ctx context.Context, r tokenRequest) (*indexEntry, error) {
	began := c.session.Load()
	if began.record == nil {
		return nil, errNoAccount
	}
	// Callers of another session don't join this flight: its token isn't theirs.
	key := silentKey{began.epoch, keyOf(r), r.Claims}
	v, _, err := c.silentFlights.do(ctx, key, func(ctx context.Context) (any, error) {
		s := c.session.Load()
		if s.epoch != began.epoch {
			return nil, errSignedOutDuringCall
		}
		// A flight that just finished may have indexed it.
		if r.Claims == "" {
			if e, ok := s.index.get(keyOf(r), c.now().UnixNano()); ok {
				return e, nil
			}
		}
		res, err := c.backend.silent(context.WithValue(ctx, sessionKey{}, s.epoch), r, *s.record)
		if err != nil {
			return nil, err
		}
		return c.remember(s.epoch, r, res)
	})
	if err != nil {
		return nil, err
	}
	return v.(*indexEntry), nil
}

// interactive runs the credential's sign-in, or waits for the one running.
// led reports whether it was this caller's own; one that joined another's
// success returns !led and nil, to try silently again, unless force makes it
// run its own sign-in after.
func (c *credential) interactive(ctx context.Context, r tokenRequest, force bool) (e *indexEntry, led bool, err error) {
	for {
		v, led, err := c.signInFlight.do(ctx, "sign-in", func(ctx context.Context) (any, error) { return c.signIn(ctx, r) })
		switch {
		case ctx.Err() != nil:
			return nil, led, classify(ctx, c.name, ctx.Err())
		case led && err != nil:
			return nil, true, err
		case led:
			return v.(*indexEntry), true, nil
		case err != nil:
			// The user just refused or timed out: a second prompt would nag.
			return nil, false, err
		case !force:
			return nil, false, nil
		}
	}
}

// signIn runs the backend's sign-in and starts the user's session.
func (c *credential) signIn(ctx context.Context, r tokenRequest) (any, error) {
	began := c.session.Load().epoch
	logf("%s: starting an interactive sign-in", c.name)
	res, err := c.backend.interactive(context.WithValue(ctx, sessionKey{}, began), r)
	if err != nil {
		err = classify(ctx, c.name, err)
		logf("%s: sign-in failed: %s", c.name, firstLine(err.Error()))
		return nil, err
	}
	rec := res.Account
	c.mu.Lock()
	cur := c.session.Load()
	if cur.epoch != began {
		c.mu.Unlock()
		return nil, classify(ctx, c.name, errSignedOutDuringCall)
	}
	next := &session{record: &rec, index: cur.index, epoch: cur.epoch}
	if cur.record == nil || cur.record.HomeAccountID != rec.HomeAccountID {
		// Another user: nothing fetched for the previous one may be served.
		next.index, next.epoch = newTokenIndex(), cur.epoch+1
	}
	c.session.Store(next)
	c.mu.Unlock()
	if c.opts.EnableSupportLogging {
		logf("%s: signed in %s (home account %s) in tenant %s", c.name, rec.Username, rec.HomeAccountID, rec.TenantID)
	} else {
		logf("%s: sign-in succeeded", c.name)
	}
	c.saveRecord(rec)
	e, err := c.remember(next.epoch, r, res)
	if err != nil {
		return nil, classify(ctx, c.name, err)
	}
	return e, nil
}

// Authenticate signs the user in, always, in the credential's way (a browser,
// a device code, a password), and returns the record that identifies them;
// later GetToken calls use it. With nil options or no scopes, it asks for
// Azure Resource Manager's scope.
func (c *credential) Authenticate(ctx context.Context, opts *policy.TokenRequestOptions) (rec AuthenticationRecord, err error) {
	if c == nil {
		return AuthenticationRecord{}, errZeroCredential
	}
	ctx, end := runtime.StartSpan(ctx, c.name+".Authenticate", c.tracer, nil)
	defer func() { end(err) }()
	o := orZero(opts)
	if len(o.Scopes) == 0 {
		if c.defaultScope == nil {
			return AuthenticationRecord{}, fmt.Errorf("%s: authenticating in this cloud requires a scope: pass one in TokenRequestOptions.Scopes", c.name)
		}
		o.Scopes = c.defaultScope
	}
	r, err := c.request(ctx, o)
	if err != nil {
		return AuthenticationRecord{}, err
	}
	e, _, err := c.interactive(ctx, r, true)
	if err != nil {
		return AuthenticationRecord{}, err
	}
	return *e.account, nil
}

// SignOut forgets the signed-in user: their tokens leave memory and the
// token cache (persistent or not), and the credential's record is cleared.
// Calls that began before it get no token of the user, and write none.
// Afterwards the credential signs a user in again (or returns
// AuthenticationRequiredError when automatic authentication is disabled).
func (c *credential) SignOut(ctx context.Context) error {
	if c == nil {
		return errZeroCredential
	}
	c.mu.Lock()
	old := c.session.Load()
	c.session.Store(&session{index: newTokenIndex(), epoch: old.epoch + 1})
	c.mu.Unlock()
	var err error
	if old.record != nil {
		err = c.backend.removeAccount(context.WithValue(ctx, sessionKey{}, old.epoch+1), *old.record)
	}
	if c.records != nil {
		err = errors.Join(err, c.records.Delete(c.recordKey()))
	}
	if err != nil {
		return fmt.Errorf("%s: signing out: %w", c.name, err)
	}
	logf("%s: signed out", c.name)
	return nil
}

// remember indexes res, a token for r, into the session of epoch. When that
// session ended while the call ran, the token isn't served: errSignedOutDuringCall.
func (c *credential) remember(epoch uint64, r tokenRequest, res tokenResult) (*indexEntry, error) {
	now := c.now()
	c.mu.Lock()
	s := c.session.Load()
	if s.epoch != epoch || s.record == nil {
		c.mu.Unlock()
		return nil, errSignedOutDuringCall
	}
	e := newIndexEntry(res, s.record, now)
	if r.Claims == "" && e.serveUntil != 0 {
		s.index.put(keyOf(r), e, now.UnixNano())
	}
	c.mu.Unlock()
	who := ""
	if c.opts.EnableSupportLogging {
		who = " for " + s.record.Username
	}
	logf("%s.GetToken() acquired a token for scopes %q%s", c.name, r.Scopes, who)
	return e, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

var errNoAccount = errors.New("no user has signed in")

// errZeroCredential is what a credential no constructor made returns.
var errZeroCredential = newCredentialUnavailableError("azinteractive", "this credential is a zero value",
	"Create credentials with NewInteractiveBrowserCredential, NewDeviceCodeCredential or NewUsernamePasswordCredential.", nil)

// errSignedOutDuringCall ends a call whose user signed out (or was replaced).
var errSignedOutDuringCall = fmt.Errorf("%w: SignOut was called, or another user signed in, while this request ran", errNoAccount)

// recordKey names this application's remembered record.
func (c *credential) recordKey() string { return strings.ToLower(c.opts.ClientID) }

// loadRecord reads the remembered record, if any. A missing, unreadable or
// foreign record is none: the user signs in again.
func (c *credential) loadRecord() *AuthenticationRecord {
	if c.records == nil {
		return nil
	}
	b, err := c.records.Load(c.recordKey())
	if err != nil {
		logf("%s: the remembered AuthenticationRecord can't be read; the user will sign in again: %v", c.name, err)
		return nil
	}
	if len(b) == 0 {
		return nil
	}
	var rec AuthenticationRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		logf("%s: ignoring the remembered AuthenticationRecord: %v", c.name, err)
		return nil
	}
	if rec.ClientID != "" && !strings.EqualFold(rec.ClientID, c.opts.ClientID) {
		return nil
	}
	return &rec
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

// resolveTenant is resolveTenant's rules, where a request naming the ID of
// the credential's domain tenant is for the credential's own tenant.
func (c *credential) resolveTenant(ctx context.Context, requested string) (string, error) {
	own := c.opts.TenantID
	if requested != "" && c.domainTenant.Known(requested) {
		return own, nil
	}
	t, err := resolveTenant(c.name, own, requested, c.opts.AdditionallyAllowedTenants)
	if err != nil && c.domainTenant.Is(ctx, requested) {
		return own, nil
	}
	return t, err
}

// signedInTenant reports whether tenant at host is the signed-in user's, on
// the same cloud.
func (c *credential) signedInTenant(host, tenant string) bool {
	s := c.session.Load()
	if s.record == nil || !strings.EqualFold(s.record.TenantID, tenant) {
		return false
	}
	h, err := recordHost(s.record.Authority)
	return err == nil && msalhttp.SameCloud(h, host)
}

// tokenRequest is a token request as request returns it: validated, with
// the tenant resolved ("" means the credential's own).
type tokenRequest = policy.TokenRequestOptions

// tokenResult is a token and its user, as any backend returns it.
type tokenResult struct {
	Token     string
	TokenType string // "Bearer" when the backend doesn't say
	ExpiresOn time.Time
	RefreshOn time.Time // when the service suggests refreshing; zero when it didn't
	Account   AuthenticationRecord
}

// backend is where the core gets tokens: MSAL with the credential's own
// sign-in flow, or the OS broker. The core owns everything around it (the
// warm index, one sign-in at a time, sign-out, errors).
type backend interface {
	// silent returns a cached token, or redeems the refresh token.
	silent(ctx context.Context, r tokenRequest, account AuthenticationRecord) (tokenResult, error)
	// interactive signs a user in for r. The core runs one at a time.
	interactive(ctx context.Context, r tokenRequest) (tokenResult, error)
	// removeAccount forgets account in the backend's own caches.
	removeAccount(ctx context.Context, account AuthenticationRecord) error
}

// backendConfig is what the core resolved for its backend.
type backendConfig struct {
	name              string // the credential's type, for messages
	clientID          string
	authorityHost     string // validated, ending in "/"
	tenant            string // the credential's tenant
	instanceDiscovery bool
	pipeline          *azcore.Client
	tenantKnown       func(host, tenant string) bool // tenants whose OpenID configuration MSAL needn't fetch
	store             *tokencache.Store
	now               func() time.Time
}

type backendFactory func(cfg backendConfig) (backend, error)

// flights runs one call per key for the callers that ask at once. Unlike
// x/sync/singleflight, each caller waits on its own context, and the call
// runs on its own: it goes on while any caller waits and ends when the last
// leaves, so a short deadline doesn't cut a sign-in short for the others.
type flights struct {
	mu sync.Mutex      // guards m, and the refs of its flights
	m  map[any]*flight // calls in progress
}

type silentKey struct {
	epoch  uint64
	token  indexKey
	claims string
}

// flight is one call in progress. done closes when v and err are set.
type flight struct {
	done   chan struct{}
	v      any
	err    error
	cancel context.CancelFunc // ends the call's context
	refs   int                // callers waiting; guarded by flights.mu
}

// do runs fn for key unless a call for key is in progress, and waits for
// it or ctx. started reports whether this caller's fn ran. fn's context has
// ctx's values, and ends when every waiting caller has returned.
func (fs *flights) do(ctx context.Context, key any, fn func(context.Context) (any, error)) (v any, started bool, err error) {
	fs.mu.Lock()
	f, ok := fs.m[key]
	if !ok {
		if fs.m == nil {
			fs.m = map[any]*flight{}
		}
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		fs.m[key] = f
		go func() {
			v, err := fn(fctx)
			fs.mu.Lock()
			if fs.m[key] == f {
				delete(fs.m, key)
			}
			fs.mu.Unlock()
			f.v, f.err = v, err
			cancel()
			close(f.done)
		}()
	}
	f.refs++
	fs.mu.Unlock()

	select {
	case <-f.done:
		return f.v, !ok, f.err
	case <-ctx.Done():
		fs.mu.Lock()
		f.refs--
		last := f.refs == 0
		if last {
			// Nobody waits: end it, and let the next caller start afresh.
			if fs.m[key] == f {
				delete(fs.m, key)
			}
			f.cancel()
		}
		fs.mu.Unlock()
		if last {
			// As if it had run the call itself, the last caller returns
			// only once the call has ended, so nothing it started runs on.
			<-f.done
		}
		return nil, !ok, ctx.Err()
	}
}
