package azinteractive

import (
	"cmp"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

// developerSignOnClientID is the Azure development application, as in every
// Azure SDK.
const developerSignOnClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// Cache is where a credential keeps tokens. The zero value keeps them in memory
// for the credential's lifetime, shared with no other credential.
// [github.com/azinteractive/azinteractive/cache.New] makes a persistent one,
// encrypted by the platform and shared across processes (and with Python's
// azure-identity), which can also remember the signed-in account. As with
// azidentity's Cache, a credential's Cache option is its only use.
type Cache = tokencache.Cache

// coreOptions is what each credential tells the shared core: the browser
// credential's options hold every other credential's, under the same names;
// the core reads only those.
type coreOptions = InteractiveBrowserCredentialOptions

// orZero is *options, or the zero value (the defaults) for nil.
func orZero[T any](options *T) (o T) {
	if options != nil {
		o = *options
	}
	return o
}

// azureAuthorityHost names a sovereign or private cloud's authority host,
// for azidentity and Python's azure-identity too.
const azureAuthorityHost = "AZURE_AUTHORITY_HOST"

// resolveOptions applies the defaults and the AuthenticationRecord to o, as
// Python's azure-identity does, and returns the validated authority host:
//
//   - ClientID: the option, the record's, or the development application; a
//     record of another application is an error (its tokens aren't ours).
//   - TenantID: the option; the record's (requests may still name any
//     tenant); "organizations".
//   - Authority host: ClientOptions.Cloud's; the record's; AZURE_AUTHORITY_HOST
//     (a bare host means https, as in Python); the public cloud's
//     (azidentity's precedence with Python's record step).
func resolveOptions(name string, o coreOptions) (coreOptions, string, error) {
	r := o.AuthenticationRecord
	switch {
	case isZeroRecord(r):
	case o.ClientID == "":
		o.ClientID = r.ClientID
	case r.ClientID != "" && !strings.EqualFold(r.ClientID, o.ClientID):
		return o, "", fmt.Errorf("%s: the AuthenticationRecord is for client ID %q but ClientID is %q: pass the record of a sign-in to this application, or leave ClientID unset to use the record's", name, r.ClientID, o.ClientID)
	}
	o.ClientID = cmp.Or(o.ClientID, developerSignOnClientID)

	o.AdditionallyAllowedTenants = normalizeAllowedTenants(o.AdditionallyAllowedTenants)
	switch {
	case o.TenantID != "":
	case r.TenantID != "":
		o.TenantID = r.TenantID
		if len(o.AdditionallyAllowedTenants) == 0 {
			// No TenantID: the record's doesn't restrict requests.
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

const (
	organizationsTenantID = "organizations"
	adfsTenantID          = "adfs"
)

// validTenantID is azidentity's rule: letters, digits, '.' and '-'. Anything
// else (slashes, '%', '@', look-alikes, "..") could move the authority URL.
func validTenantID(t string) bool {
	return t != "" && len(t) <= 256 && t != "." && t != ".." && asciiOf(t, ".-")
}

// asciiOf reports whether s holds only ASCII letters, digits and extra.
func asciiOf(s, extra string) bool {
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || strings.ContainsRune(extra, r)) {
			return false
		}
	}
	return true
}

func errInvalidTenant(credType, t string) error {
	return fmt.Errorf("%s: tenant ID %q is invalid: a tenant ID contains only letters, digits, '.' and '-' (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain such as contoso.onmicrosoft.com)", credType, t)
}

// resolveTenant picks the tenant of a token request, with azidentity's rules:
// the credential's, unless the request names another that
// AdditionallyAllowedTenants allows (or there's no specific tenant nor list).
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
	if slices.Contains(allowed, "*") || slices.Contains(allowed, requested) ||
		len(allowed) == 0 && (defaultTenant == "" || defaultTenant == organizationsTenantID) {
		return requested, nil
	}
	return "", fmt.Errorf("%s: the token request is for tenant %q, but TenantID is %q and AdditionallyAllowedTenants doesn't include it\n"+
		"To allow it, add %q (or \"*\" for any tenant) to AdditionallyAllowedTenants", credType, requested, defaultTenant, requested)
}

// normalizeAllowedTenants copies the list, collapsing it when it holds "*".
func normalizeAllowedTenants(tenants []string) []string {
	if slices.Contains(tenants, "*") {
		return []string{"*"}
	}
	return append([]string(nil), tenants...)
}

// validateScopes rejects, before any request, what no authority accepts:
// scopes with spaces or controls would split into others on the wire.
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
			if r <= ' ' || r == 0x7f || r == '"' || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) {
				return fmt.Errorf("%s: scope %q contains a space, a quote, a backslash or a control character; pass each scope as its own string", credType, s)
			}
		}
	}
	return nil
}

// validateAuthorityHost checks an authority host before anything is sent to
// it: https, a plain ASCII host (so no look-alike passes), and nothing that
// could move the request elsewhere (user info, query, escapes).
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
	path := strings.Trim(u.Path, "/")
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
	case !asciiOf(u.Host, ".-:[]"):
		return fail("the host must be ASCII letters, digits, '.', '-' (punycode for international names) and a port")
	case u.Hostname() == "" || strings.Contains(u.Hostname(), ":") && !strings.HasPrefix(u.Host, "["):
		// url.Parse takes "host:1:2" for a host "host:1" with port 2.
		return fail("it must have one host and at most one port")
	case strings.Contains(path, ".."):
		return fail("its path must not contain \"..\"")
	case slices.Contains(strings.Split(path, "/"), "."):
		return fail("its path must not contain \".\" segments")
	case !asciiOf(path, "-._~/"):
		return fail("its path must be ASCII letters, digits, '-', '.', '_', '~' and '/'")
	}
	out := "https://" + u.Host + "/"
	if path != "" {
		out += path + "/"
	}
	return out, nil
}

// Bounds on what this module accepts from the network, so that a hostile
// authority can't fill memory or a terminal. Entra ID's are far smaller.
const (
	maxDescriptionLen       = 4 << 10 // longer ones are cut, and say so
	maxErrorCodeLen         = 128
	maxDeviceCodeMessageLen = 4 << 10
	maxUserCodeLen          = 128
	maxVerificationURLLen   = 2 << 10
	maxUsernameLen          = 1 << 10
)

// tooLong is the error for a field over its bound.
func tooLong(what string, n, limit int) error {
	return fmt.Errorf("%s is %d bytes, more than the %d this module accepts; refusing it", what, n, limit)
}

// host is the machine a credential runs on; tests pass their own.
type host struct {
	stderr io.Writer
	getenv func(string) string
	goos   string
}

func thisHost() host { return host{stderr: os.Stderr, getenv: os.Getenv, goos: runtime.GOOS} }
