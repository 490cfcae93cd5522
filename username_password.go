package azinteractive

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

const credNameUsernamePassword = "UsernamePasswordCredential"

// UsernamePasswordCredentialOptions contains optional parameters for UsernamePasswordCredential.
//
// Deprecated: UsernamePasswordCredential is deprecated because it can't support multifactor
// authentication. See [Entra ID documentation] for migration guidance.
//
// [Entra ID documentation]: https://aka.ms/azsdk/identity/mfa
type UsernamePasswordCredentialOptions struct {
	azcore.ClientOptions

	// AdditionallyAllowedTenants are tenants, besides the credential's, it may acquire tokens for; "*"
	// allows any in which the application is registered.
	AdditionallyAllowedTenants []string

	// These fields mean what InteractiveBrowserCredentialOptions' fields of
	// the same names do.
	AuthenticationRecord     AuthenticationRecord
	Cache                    Cache
	DisableInstanceDiscovery bool
	EnableSupportLogging     bool
}

// UsernamePasswordCredential authenticates a user with a password. Microsoft doesn't recommend this kind of authentication,
// because it's less secure than other authentication flows. This credential is not interactive, so it isn't compatible
// with any form of multifactor authentication, and the application must already have user or admin consent.
// This credential can only authenticate work and school accounts; it can't authenticate Microsoft accounts.
//
// When the tenant demands multifactor authentication, GetToken returns an
// [AuthenticationFailedError] that says so and carries the service's claims
// challenge, which an [InteractiveBrowserCredential] or [DeviceCodeCredential]
// can satisfy.
//
// Deprecated: this credential is deprecated because it can't support multifactor authentication. See [Entra ID documentation]
// for migration guidance.
//
// [Entra ID documentation]: https://aka.ms/azsdk/identity/mfa
type UsernamePasswordCredential struct {
	*credential
}

// NewUsernamePasswordCredential creates a UsernamePasswordCredential. clientID is the ID of the application the user
// will authenticate to. Pass nil for options to accept defaults.
func NewUsernamePasswordCredential(tenantID string, clientID string, username string, password string, options *UsernamePasswordCredentialOptions) (*UsernamePasswordCredential, error) {
	o := orZero(options)
	acquire := func(ctx context.Context, client msalClient, r tokenRequest) (public.AuthResult, error) {
		return client.AcquireTokenByUsernamePassword(ctx, r.Scopes, username, password, public.WithClaims(r.Claims), public.WithTenantID(r.TenantID))
	}
	c, err := newCredential(credNameUsernamePassword, coreOptions{
		ClientOptions:              o.ClientOptions,
		AdditionallyAllowedTenants: o.AdditionallyAllowedTenants,
		AuthenticationRecord:       o.AuthenticationRecord,
		Cache:                      o.Cache,
		ClientID:                   clientID,
		DisableInstanceDiscovery:   o.DisableInstanceDiscovery,
		EnableSupportLogging:       o.EnableSupportLogging,
		TenantID:                   tenantID,
	}, msalBackendFactory(acquire, nil))
	if err != nil {
		return nil, err
	}
	return &UsernamePasswordCredential{credential: c}, nil
}
