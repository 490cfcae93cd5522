package azinteractive

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// knownEndpointHosts are the authority hosts of Microsoft's clouds whose
// OpenID configuration has a fixed shape for every tenant, each with the
// host its issuer names. It is the table MSAL for JavaScript (msal-common's
// AuthorityMetadata) uses instead of requesting the configuration; MSAL for
// .NET builds the same endpoints from the authority without a request.
// Each is a host MSAL for Go trusts without instance discovery
// (TestKnownEndpointHostsAreTrustedByMSAL).
var knownEndpointHosts = map[string]string{
	"login.microsoftonline.com":  "login.microsoftonline.com",
	"login.chinacloudapi.cn":     "login.partner.microsoftonline.cn",
	"login.microsoftonline.us":   "login.microsoftonline.us",
	"login.sovcloud-identity.fr": "login.sovcloud-identity.fr",
	"login.sovcloud-identity.de": "login.sovcloud-identity.de",
	"login.sovcloud-identity.sg": "login.sovcloud-identity.sg",
}

// tenantKnown reports whether Entra ID at host is known to have tenant: a
// tenant a user of this credential has signed in to, say. A tenant that
// doesn't exist must still get Entra ID's own answer (AADSTS90002 from its
// OpenID configuration), so that a mistyped TenantID fails at once with that
// error rather than in the sign-in page of a browser the credential opened.
type tenantKnown func(host, tenant string) bool

// knownOpenIDConfiguration answers MSAL's request for a tenant's OpenID
// configuration on one of Microsoft's clouds, without sending it, when the
// tenant is known to exist there: "common" and "organizations" anywhere,
// "consumers" on the public cloud, and whatever known reports.
//
// MSAL for Go requests that configuration once per client before its first
// request to the tenant's token endpoint: so every new process whose cached
// access token had expired paid a round trip to Entra ID before it could
// redeem its refresh token. On these hosts, the configuration's endpoints
// are the tenant's path on the same host, and MSAL uses nothing else from it
// (the issuer only to check its host, which is a host MSAL trusts).
// A domain name as the tenant is left to Entra ID: the domainTenant lookup
// needs the tenant ID the real configuration's issuer carries.
func knownOpenIDConfiguration(r *http.Request, known tenantKnown) (*http.Response, bool) {
	if r.Method != http.MethodGet || r.URL.Scheme != "https" || r.URL.RawQuery != "" || r.URL.Fragment != "" {
		return nil, false
	}
	host := strings.ToLower(r.URL.Host)
	issuerHost, ok := knownEndpointHosts[host]
	if !ok {
		return nil, false
	}
	tenant, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if tenant == "" || rest != "v2.0/.well-known/openid-configuration" {
		return nil, false
	}
	switch t := strings.ToLower(tenant); {
	case t == "common" || t == organizationsTenantID:
	case t == "consumers" && host == "login.microsoftonline.com":
	case isTenantGUID(tenant) && known != nil && known(host, tenant):
	default:
		return nil, false
	}
	base := "https://" + host + "/" + url.PathEscape(tenant)
	body, err := json.Marshal(struct {
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		DeviceEndpoint        string `json:"device_authorization_endpoint"`
		Issuer                string `json:"issuer"`
	}{
		AuthorizationEndpoint: base + "/oauth2/v2.0/authorize",
		TokenEndpoint:         base + "/oauth2/v2.0/token",
		DeviceEndpoint:        base + "/oauth2/v2.0/devicecode",
		// Entra ID's own says {tenantid}, as MSAL for JavaScript's does.
		Issuer: "https://" + issuerHost + "/{tenantid}/v2.0",
	})
	if err != nil {
		return nil, false
	}
	logf("the OpenID configuration of a tenant at %s answered in process (its endpoints are the tenant's path on that host); no request sent", host)
	return inProcessResponse(r, body), true
}

// sameCloud reports whether two authority hosts are aliases of one of
// Microsoft's clouds (an AuthenticationRecord names the host MSAL caches
// under, login.windows.net for the public cloud).
func sameCloud(a, b string) bool {
	ma, ok := knownInstanceMetadata[strings.ToLower(a)]
	if !ok {
		return false
	}
	mb, ok := knownInstanceMetadata[strings.ToLower(b)]
	return ok && ma.PreferredNetwork == mb.PreferredNetwork
}

// signedInTenant reports whether tenant at host is the tenant of the
// credential's AuthenticationRecord: one its user signed in to, on the same
// cloud. It reads the session without a lock, as GetToken does.
func (c *credential) signedInTenant(host, tenant string) bool {
	s := c.session.Load()
	return s != nil && s.record != nil && strings.EqualFold(s.record.TenantID, tenant) && sameCloud(s.record.Authority, host)
}
