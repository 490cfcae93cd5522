package azinteractive

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/internal/msalhttp"
)

// msalClient is MSAL's public client as the MSAL backend uses it: the silent
// path, and every credential's sign-in flow.
type msalClient interface {
	AcquireTokenSilent(ctx context.Context, scopes []string, opts ...public.AcquireSilentOption) (public.AuthResult, error)
	AuthCodeURL(ctx context.Context, clientID, redirectURI string, scopes []string, opts ...public.AuthCodeURLOption) (string, error)
	AcquireTokenByAuthCode(ctx context.Context, code string, redirectURI string, scopes []string, opts ...public.AcquireByAuthCodeOption) (public.AuthResult, error)
	AcquireTokenByDeviceCode(ctx context.Context, scopes []string, opts ...public.AcquireByDeviceCodeOption) (public.DeviceCode, error)
	AcquireTokenByUsernamePassword(ctx context.Context, scopes []string, username, password string, opts ...public.AcquireByUsernamePasswordOption) (public.AuthResult, error)
}

// acquireFunc is how a credential signs a user in through MSAL, the step
// that differs between credentials; the core runs one at a time.
type acquireFunc func(ctx context.Context, client msalClient, r tokenRequest) (public.AuthResult, error)

// newClientFunc builds the MSAL client of one CAE mode over its cache.
type newClientFunc func(cae bool, cache cache.ExportReplace) (msalClient, error)

// msalBackend gets tokens from MSAL's public client: one per CAE mode (only
// a CAE client announces CP1) over one tokencache.Store, so one sign-in
// serves both.
type msalBackend struct {
	cfg     backendConfig
	clients map[bool]msalClient // by cae
	acquire acquireFunc
}

// msalBackendFactory returns the factory of a credential whose sign-in is
// acquire. newClient is nil except in unit tests.
func msalBackendFactory(acquire acquireFunc, newClient newClientFunc) backendFactory {
	return func(cfg backendConfig) (backend, error) {
		if newClient == nil {
			newClient = publicClientFactory(cfg)
		}
		b := &msalBackend{cfg: cfg, acquire: acquire, clients: map[bool]msalClient{}}
		for _, cae := range []bool{false, true} {
			client, err := newClient(cae, cfg.store.Mode(cae))
			if err != nil {
				return nil, err
			}
			b.clients[cae] = client
		}
		return b, nil
	}
}

func publicClientFactory(cfg backendConfig) newClientFunc {
	return func(cae bool, tc cache.ExportReplace) (msalClient, error) {
		o := []public.Option{
			public.WithAuthority(cfg.authorityHost + cfg.tenant),
			public.WithCache(tc),
			public.WithHTTPClient(msalhttp.Client{Pipeline: cfg.pipeline, TenantKnown: cfg.tenantKnown, Log: logLine, Gate: lookupGate}),
		}
		if cae {
			o = append(o, public.WithClientCapabilities([]string{"CP1"}))
		}
		if !cfg.instanceDiscovery || strings.EqualFold(cfg.tenant, adfsTenantID) {
			o = append(o, public.WithInstanceDiscovery(false))
		}
		pc, err := public.New(cfg.clientID, o...)
		return pc, err // the caller drops pc on error
	}
}

// silent first only looks in MSAL's cache, without waiting for anything;
// redeeming the refresh token goes through the Store's Redeem, which keeps
// other processes from redeeming it at once.
func (b *msalBackend) silent(ctx context.Context, r tokenRequest, account AuthenticationRecord) (tokenResult, error) {
	ar, err := b.acquireSilent(context.WithValue(b.cfg.store.Silent(ctx), lookupKey{}, true), r, account)
	if errors.Is(err, errMustRedeem) {
		err = b.cfg.store.Redeem(ctx, func(ctx context.Context) error {
			ar, err = b.acquireSilent(ctx, r, account)
			return err
		})
	}
	if err != nil {
		if ar.AccessToken == "" || !ar.ExpiresOn.After(b.cfg.now()) {
			return tokenResult{}, err
		}
		// A proactive refresh failed; the cached token is still good.
		logf("%s: refreshing a token ahead of its expiry failed; using the cached token, valid until %s: %v",
			b.cfg.name, ar.ExpiresOn.UTC().Format(time.RFC3339), withoutResponseBody(err))
	}
	return resultOf(ar, account), nil
}

func (b *msalBackend) acquireSilent(ctx context.Context, r tokenRequest, account AuthenticationRecord) (public.AuthResult, error) {
	callCtx := b.cfg.store.Begin(ctx, sessionOf(ctx), r.Scopes)
	ar, err := b.clients[r.EnableCAE].AcquireTokenSilent(callCtx, r.Scopes,
		public.WithSilentAccount(msalAccount(account)), public.WithClaims(r.Claims), public.WithTenantID(r.TenantID))
	ar.AccessToken = b.cfg.store.Intern(callCtx, ar.AccessToken)
	return ar, err
}

// lookupKey marks the context of a silent call that may only read the cache.
type lookupKey struct{}

var errMustRedeem = errors.New("the cache holds no access token to serve without redeeming the refresh token")

// lookupGate refuses a lookup's token requests (its only POSTs); metadata
// GETs may go.
func lookupGate(r *http.Request) error {
	if r.Method == http.MethodPost && r.Context().Value(lookupKey{}) != nil {
		return errMustRedeem
	}
	return nil
}

func (b *msalBackend) interactive(ctx context.Context, r tokenRequest) (tokenResult, error) {
	callCtx := b.cfg.store.Begin(ctx, sessionOf(ctx), r.Scopes)
	ar, err := b.acquire(callCtx, b.clients[r.EnableCAE], r)
	if err != nil {
		return tokenResult{}, err
	}
	ar.AccessToken = b.cfg.store.Intern(callCtx, ar.AccessToken)
	rec, err := newAuthenticationRecord(ar)
	if err != nil {
		return tokenResult{}, err
	}
	return resultOf(ar, rec), nil
}

func (b *msalBackend) removeAccount(ctx context.Context, account AuthenticationRecord) error {
	if account.HomeAccountID == "" {
		return nil
	}
	return b.cfg.store.RemoveAccount(ctx, sessionOf(ctx), account.HomeAccountID)
}

// sessionKey carries to the backend the epoch of the session a call belongs
// to, or, for removeAccount, the one the sign-out began: the token cache
// fences a signed-out account by it (see tokencache.Store.Begin).
type sessionKey struct{}

// sessionOf returns the credential's session epoch ctx carries (sessionKey).
func sessionOf(ctx context.Context) uint64 {
	epoch, _ := ctx.Value(sessionKey{}).(uint64)
	return epoch
}

func resultOf(ar public.AuthResult, account AuthenticationRecord) tokenResult {
	return tokenResult{Token: ar.AccessToken, TokenType: "Bearer", ExpiresOn: ar.ExpiresOn.UTC(), RefreshOn: ar.Metadata.RefreshOn.UTC(), Account: account}
}
