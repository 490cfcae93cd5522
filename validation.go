package azinteractive

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

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
