package azinteractive

import (
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// azureAuthorityHost is the environment variable azidentity and Python's
// azure-identity read for the authority host of a sovereign or private cloud.
const azureAuthorityHost = "AZURE_AUTHORITY_HOST"

// resolveOptions applies the defaults and the AuthenticationRecord to o, as
// Python's azure-identity does, and returns the authority host (validated,
// with a trailing slash):
//
//   - ClientID: the option; else the record's; else the Azure development
//     application. A record of another application than an explicit
//     ClientID is an error: its tokens aren't this application's.
//   - TenantID: the option; else the record's tenant (requests may then
//     still name any tenant, as with no TenantID); else "organizations".
//   - Authority host: ClientOptions.Cloud's, when set (it always wins); else
//     the record's authority; else AZURE_AUTHORITY_HOST (https, or a bare
//     host taken as https, as Python does); else the public cloud's. This is
//     azidentity v1.15.0's precedence (setAuthorityHost) with Python's record
//     step.
func resolveOptions(name string, o coreOptions) (coreOptions, string, error) {
	r := o.AuthenticationRecord
	switch {
	case r.IsZero():
	case o.ClientID == "":
		o.ClientID = r.ClientID
	case r.ClientID != "" && !strings.EqualFold(r.ClientID, o.ClientID):
		return o, "", fmt.Errorf("%s: the AuthenticationRecord is for client ID %q but ClientID is %q: pass the record of a sign-in to this application, or leave ClientID unset to use the record's", name, r.ClientID, o.ClientID)
	}
	if o.ClientID == "" {
		o.ClientID = developerSignOnClientID
	}

	o.AdditionallyAllowedTenants = normalizeAllowedTenants(o.AdditionallyAllowedTenants)
	switch {
	case o.TenantID != "":
	case r.TenantID != "":
		o.TenantID = r.TenantID
		if len(o.AdditionallyAllowedTenants) == 0 {
			// The application named no tenant: like "organizations", the
			// record's tenant doesn't restrict which tenants requests name.
			o.AdditionallyAllowedTenants = []string{"*"}
		}
	default:
		o.TenantID = organizationsTenantID
	}
	if !validTenantID(o.TenantID) {
		return o, "", errInvalidTenant(name, o.TenantID)
	}

	host, err := authorityHostOf(name, o.Cloud, r)
	return o, host, err
}

// authorityHostOf picks and validates the authority host (resolveOptions).
func authorityHostOf(name string, cc cloud.Configuration, r AuthenticationRecord) (string, error) {
	if h := cc.ActiveDirectoryAuthorityHost; h != "" {
		return validateAuthorityHost(name, h)
	}
	if len(cc.Services) > 0 {
		return "", fmt.Errorf("%s: the cloud configuration has no ActiveDirectoryAuthorityHost", name)
	}
	if r.Authority != "" {
		return validateHostFrom(name, "https://"+r.Authority,
			"the AuthenticationRecord's authority %q is invalid: %s. Set azcore.ClientOptions.Cloud.ActiveDirectoryAuthorityHost, or pass a record written by Authenticate")
	}
	if env := os.Getenv(azureAuthorityHost); env != "" {
		h := env
		if !strings.Contains(h, "://") {
			h = "https://" + h
		}
		return validateHostFrom(name, h,
			azureAuthorityHost+" %q is invalid: %s. Set it to a URL such as https://login.microsoftonline.us/, or unset it for the public cloud")
	}
	return validateAuthorityHost(name, cloud.AzurePublic.ActiveDirectoryAuthorityHost)
}
