package entratest

import (
	"strings"
)

// graphResource is the application ID of Microsoft Graph, the resource of unqualified scopes
// such as "User.Read".
const graphResource = "00000003-0000-0000-c000-000000000000"

// oidcScopes are the OpenID Connect scopes. They name no resource.
var oidcScopes = map[string]bool{"openid": true, "profile": true, "email": true, "offline_access": true}

// scopeRequest is a parsed scope parameter. Entra ID issues an access token for one
// resource per request.
type scopeRequest struct {
	resource      string   // the aud of the access token
	permissions   []string // scope names without the resource prefix; ".default" included
	requested     []string // the non-OIDC scopes as sent
	oidc          []string // the OIDC scopes as sent
	openid        bool     // an ID token was requested
	offlineAccess bool     // a refresh token was requested
}

// parseScope parses a space-separated scope parameter the way Entra ID does:
// "https://management.azure.com/.default" is permission ".default" of resource
// "https://management.azure.com", "api://app/read" is "read" of "api://app", and an
// unqualified "User.Read" is a Microsoft Graph permission.
func parseScope(raw string) (scopeRequest, *entraError) {
	var sr scopeRequest
	for _, sc := range strings.Fields(raw) {
		lower := strings.ToLower(sc)
		if oidcScopes[lower] {
			sr.oidc = append(sr.oidc, sc)
			sr.openid = sr.openid || lower == "openid"
			sr.offlineAccess = sr.offlineAccess || lower == "offline_access"
			continue
		}
		resource, perm, ok := splitScope(sc)
		if !ok {
			return scopeRequest{}, errInvalidScope("The scope '" + sc + "' does not name a permission.")
		}
		if sr.resource != "" && !strings.EqualFold(sr.resource, resource) {
			return scopeRequest{}, errMultipleResources(raw)
		}
		sr.resource = resource
		sr.permissions = append(sr.permissions, perm)
		sr.requested = append(sr.requested, sc)
	}
	if len(sr.permissions) > 1 {
		for _, p := range sr.permissions {
			if p == ".default" {
				return scopeRequest{}, errInvalidScope("The .default scope can't be combined with resource-specific scopes.")
			}
		}
	}
	if sr.resource == "" {
		if len(sr.oidc) == 0 {
			return scopeRequest{}, errMissingParam("scope")
		}
		sr.resource = graphResource
	}
	return sr, nil
}

// splitScope splits a scope into resource and permission at the last "/".
func splitScope(sc string) (resource, permission string, ok bool) {
	rest := sc
	if i := strings.Index(sc, "://"); i >= 0 {
		rest = sc[i+3:]
	}
	if !strings.Contains(rest, "/") {
		if rest != sc { // a bare URL like "https://storage.azure.com": no permission
			return "", "", false
		}
		return graphResource, sc, true
	}
	i := strings.LastIndex(sc, "/")
	if i == len(sc)-1 {
		return "", "", false
	}
	return sc[:i], sc[i+1:], true
}

// scp is the access token's scp claim. ".default" grants the emulator's one permission
// of every resource, "user_impersonation".
func (sr scopeRequest) scp() string {
	if len(sr.permissions) == 0 {
		var s []string
		for _, o := range sr.oidc {
			if !strings.EqualFold(o, "offline_access") {
				s = append(s, strings.ToLower(o))
			}
		}
		return strings.Join(s, " ")
	}
	if sr.permissions[0] == ".default" {
		return "user_impersonation"
	}
	return strings.Join(sr.permissions, " ")
}

// granted is the scope member of a token response: the requested scopes. MSAL requires
// every scope it asked for to appear there.
func (sr scopeRequest) granted() string {
	if len(sr.requested) == 0 {
		return strings.Join(sr.oidc, " ")
	}
	return strings.Join(sr.requested, " ")
}
