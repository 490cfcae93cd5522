package azinteractive

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

// tokenRequest is one token request, validated, with the tenant resolved.
type tokenRequest struct {
	Scopes []string
	Claims string
	// TenantID is the tenant to ask for: "" means the credential's own.
	TenantID  string
	EnableCAE bool
}

// tokenResult is a token and the user it belongs to, as any backend returns
// it: the core never sees MSAL's or the broker's types.
type tokenResult struct {
	Token     string
	TokenType string // "Bearer" when the backend doesn't say
	ExpiresOn time.Time
	// RefreshOn is when the service suggests refreshing; zero when it didn't.
	RefreshOn time.Time
	Account   AuthenticationRecord
}

// backend is where the core gets tokens: MSAL's public client with the
// credential's own sign-in flow, or the operating system's broker. The core
// owns everything around it (the warm index, one sign-in at a time, waiters
// on their own contexts, sign-out, errors); a backend only talks to its
// token source.
type backend interface {
	// silent returns a token for r without the user: a cached one, or one
	// redeemed with the account's refresh token.
	silent(ctx context.Context, r tokenRequest, account AuthenticationRecord) (tokenResult, error)
	// interactive signs a user in for r. The core runs one at a time.
	interactive(ctx context.Context, r tokenRequest) (tokenResult, error)
	// removeAccount forgets account in the backend's own caches.
	removeAccount(ctx context.Context, account AuthenticationRecord) error
}

// backendConfig is what the core resolved from a credential's options, for
// its backend.
type backendConfig struct {
	name              string // the credential's type, for messages
	clientID          string
	authorityHost     string // validated, ending in "/"
	tenant            string // the credential's tenant
	instanceDiscovery bool
	pipeline          *azcore.Client
	tenantKnown       func(host, tenant string) bool // which tenants MSAL needn't request the OpenID configuration of
	store             *tokencache.Store
	now               func() time.Time
}

// backendFactory builds a credential's backend. Each credential passes its
// own to the core.
type backendFactory func(cfg backendConfig) (backend, error)
