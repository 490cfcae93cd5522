package azinteractive

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
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
type Cache = tokencache.Cache

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
	case isZeroRecord(r):
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
		host, err := recordHost(r.Authority)
		if err != nil {
			return "", fmt.Errorf("%s: the AuthenticationRecord's %w. Set azcore.ClientOptions.Cloud.ActiveDirectoryAuthorityHost, or pass a record written by Authenticate", name, err)
		}
		return validateHostFrom(name, "https://"+host,
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

// Tenant IDs the service treats as "any tenant of a kind" rather than one tenant.
const (
	organizationsTenantID = "organizations"
	adfsTenantID          = "adfs"
)

// validTenantID is azidentity's rule: letters, digits, '.' and '-'. Anything
// else (slashes, '%', '@', unicode look-alikes) could change the authority URL.
func validTenantID(t string) bool {
	if t == "" || len(t) > 256 || t == "." || t == ".." {
		// "." and ".." are path segments that would move the authority.
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func errInvalidTenant(credType, t string) error {
	return fmt.Errorf("%s: tenant ID %q is invalid: a tenant ID contains only letters, digits, '.' and '-' (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain such as contoso.onmicrosoft.com)", credType, t)
}

// resolveTenant picks the tenant of a token request, with azidentity's rules:
// the credential's tenant unless the request names another one, which must be
// allowed by AdditionallyAllowedTenants (or by the credential having no
// specific tenant and no allow-list).
func resolveTenant(credType, defaultTenant, requested string, allowed []string) (string, error) {
	if requested == "" || requested == defaultTenant {
		return defaultTenant, nil
	}
	if strings.EqualFold(defaultTenant, adfsTenantID) {
		return "", fmt.Errorf("%s: ADFS doesn't support tenants, so a token request can't name tenant %q", credType, requested)
	}
	if !validTenantID(requested) {
		return "", errInvalidTenant(credType, requested)
	}
	for _, t := range allowed {
		if t == "*" || t == requested {
			return requested, nil
		}
	}
	if len(allowed) == 0 && (defaultTenant == "" || defaultTenant == organizationsTenantID) {
		return requested, nil
	}
	return "", fmt.Errorf("%s: the token request is for tenant %q, but TenantID is %q and AdditionallyAllowedTenants doesn't include it\n"+
		"To allow it, add %q (or \"*\" for any tenant) to AdditionallyAllowedTenants", credType, requested, defaultTenant, requested)
}

// normalizeAllowedTenants copies the list, collapsing it when it holds "*".
func normalizeAllowedTenants(tenants []string) []string {
	for _, t := range tenants {
		if t == "*" {
			return []string{"*"}
		}
	}
	return append([]string(nil), tenants...)
}

// validateScopes rejects what no authority accepts before any request is
// made: no scopes, empty scopes, and scopes with spaces or control characters
// (which would split into other scopes on the wire).
func validateScopes(credType string, scopes []string) error {
	if len(scopes) == 0 {
		return fmt.Errorf("%s: a token request needs at least one scope, such as \"https://management.azure.com/.default\"", credType)
	}
	for _, s := range scopes {
		if s == "" {
			return fmt.Errorf("%s: a token request has an empty scope; remove it", credType)
		}
		if !utf8.ValidString(s) {
			return fmt.Errorf("%s: scope %q isn't valid UTF-8", credType, s)
		}
		for _, r := range s {
			// Unicode spaces too: a server that splits the list on them
			// would see other scopes than the user asked for.
			if r <= ' ' || r == 0x7f || r == '"' || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) {
				return fmt.Errorf("%s: scope %q contains a space, a quote, a backslash or a control character; pass each scope as its own string", credType, s)
			}
		}
	}
	return nil
}

// validateAuthorityHost checks an authority host before anything is sent to
// it: https only, a plain ASCII host (punycode for international names, so a
// look-alike can't pass), and nothing that could move the request elsewhere
// (user info, query, fragment, encoded separators).
func validateAuthorityHost(credType, host string) (string, error) {
	return validateHostFrom(credType, host, "authority host %q is invalid: %s. Set azcore.ClientOptions.Cloud.ActiveDirectoryAuthorityHost to a URL such as https://login.microsoftonline.com/")
}

// validateHostFrom is validateAuthorityHost with the message for where host
// came from: a format with the host (%q) and why it's invalid (%s).
func validateHostFrom(credType, host, format string) (string, error) {
	fail := func(why string) (string, error) {
		return "", fmt.Errorf("%s: "+format, credType, host, why)
	}
	u, err := url.Parse(host)
	if err != nil {
		return fail("it isn't a URL")
	}
	switch {
	case u.Scheme != "https":
		return fail("it must use https")
	case u.User != nil:
		return fail("it must not contain user information")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(host, "?#"):
		return fail("it must not have a query or fragment")
	case u.Host == "" || u.Opaque != "":
		return fail("it has no host")
	case strings.Contains(host, "%") || strings.Contains(host, "\\"):
		return fail("it must not contain escapes or backslashes")
	}
	for i := 0; i < len(u.Host); i++ {
		c := u.Host[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte(".-:[]", c) >= 0) {
			return fail("the host must be ASCII letters, digits, '.', '-' (punycode for international names) and a port")
		}
	}
	if h := u.Hostname(); h == "" || strings.Contains(h, ":") && !strings.HasPrefix(u.Host, "[") {
		// url.Parse takes "host:1:2" for a host "host:1" with port 2.
		return fail("it must have one host and at most one port")
	}
	path := strings.Trim(u.Path, "/")
	if strings.Contains(path, "..") {
		return fail("its path must not contain \"..\"")
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "." {
			return fail("its path must not contain \".\" segments")
		}
	}
	for _, r := range path {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || strings.ContainsRune("-._~/", r)) {
			return fail("its path must be ASCII letters, digits, '-', '.', '_', '~' and '/'")
		}
	}
	out := "https://" + u.Host + "/"
	if path != "" {
		out += path + "/"
	}
	return out, nil
}

var errNoDefaultScope = errors.New("authenticating in this cloud requires a scope: pass one in TokenRequestOptions.Scopes")

// What this module accepts from the network. Every field that reaches a
// user, a log or memory has a bound: a hostile or broken authority (or
// anything on the path to it) can't make a credential hold hundreds of
// megabytes, or print pages of text into a terminal.
const (
	// maxDescriptionLen bounds an error description kept in an error;
	// longer ones are cut, and say so.
	maxDescriptionLen = 4 << 10
	// maxErrorCodeLen bounds an OAuth error code ("invalid_grant").
	maxErrorCodeLen = 128

	// Device code fields: Entra ID's message is one sentence of about 150
	// characters (longer in some languages), its code about ten letters, its
	// URL short.
	maxDeviceCodeMessageLen = 4 << 10
	maxUserCodeLen          = 128
	maxVerificationURLLen   = 2 << 10

	// maxUsernameLen bounds the username of an ID token (preferred_username
	// or upn). Entra ID's are at most a few hundred characters.
	maxUsernameLen = 1 << 10
)

// tooLong is the error for a field over its bound.
func tooLong(what string, n, limit int) error {
	return fmt.Errorf("%s is %d bytes, more than the %d this module accepts; refusing it", what, n, limit)
}

// host is what a credential knows of the machine it runs on: where its
// notices go, its environment and its OS. Tests pass their own.
type host struct {
	stderr io.Writer
	getenv func(string) string
	goos   string
}

func thisHost() host { return host{stderr: os.Stderr, getenv: os.Getenv, goos: runtime.GOOS} }
