package azinteractive

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

// developerSignOnClientID is the Azure development application that users sign
// in to when an application doesn't set ClientID, as in every Azure SDK.
const developerSignOnClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// Cache is where a credential keeps tokens. The zero value keeps them in memory
// for the credential's lifetime, shared with no other credential.
// [github.com/azinteractive/azinteractive/cache.New] makes a persistent one,
// encrypted by the platform and shared across processes (and with Python's
// azure-identity), which can also remember the signed-in account. As with
// azidentity's Cache, a value is built by that package and set as a
// credential's Cache option; it has no methods to call besides String, which
// describes it, and IsZero, which reports whether it keeps tokens in memory.
type Cache = tokencache.Persistence

// coreOptions is what each credential tells the shared core. The credential's
// own behaviour (how it signs a user in) travels separately, as a function.
type coreOptions struct {
	azcore.ClientOptions
	AdditionallyAllowedTenants     []string
	AuthenticationRecord           AuthenticationRecord
	Cache                          Cache
	ClientID                       string
	DisableAutomaticAuthentication bool
	DisableInstanceDiscovery       bool
	EnableSupportLogging           bool
	TenantID                       string
}
