package msalhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// answer answers r in process when its answer is fixed.
func (c Client) answer(r *http.Request) (*http.Response, bool) {
	if resp, ok := c.knownInstanceDiscovery(r); ok {
		return resp, true
	}
	if c.TenantKnown != nil {
		return c.knownOpenIDConfiguration(r, c.TenantKnown)
	}
	return nil, false
}

// inProcessResponse is the response to r of a request answered without
// sending it: 200, with a JSON body.
func inProcessResponse(r *http.Request, body []byte) *http.Response {
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
}

// instanceMetadata is one entry of Entra ID's instance discovery metadata:
// the hosts that are one authority, and which of them to use.
type instanceMetadata struct {
	PreferredNetwork string   `json:"preferred_network"`
	PreferredCache   string   `json:"preferred_cache"`
	Aliases          []string `json:"aliases"`
}

// knownInstanceMetadata is Entra ID's instance metadata for Microsoft's own
// clouds, exactly as MSAL for Go knows it (its internal GetKnownMetadata,
// which it falls back to when instance discovery fails);
// TestKnownInstanceMetadataIsMSALs keeps the two the same. Every host here is
// one MSAL trusts without validation, so for them instance discovery can only
// tell MSAL these aliases, which decide which cached tokens belong to the
// authority.
var knownInstanceMetadata = func() map[string]instanceMetadata {
	clouds := []instanceMetadata{
		{"login.microsoftonline.com", "login.windows.net", []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}},
		{"login.partner.microsoftonline.cn", "login.partner.microsoftonline.cn", []string{"login.partner.microsoftonline.cn", "login.chinacloudapi.cn"}},
		{"login.microsoftonline.de", "login.microsoftonline.de", []string{"login.microsoftonline.de"}},
		{"login.microsoftonline.us", "login.microsoftonline.us", []string{"login.microsoftonline.us", "login.usgovcloudapi.net"}},
		{"login-us.microsoftonline.com", "login-us.microsoftonline.com", []string{"login-us.microsoftonline.com"}},
		{"login.sovcloud-identity.fr", "login.sovcloud-identity.fr", []string{"login.sovcloud-identity.fr"}},
		{"login.sovcloud-identity.de", "login.sovcloud-identity.de", []string{"login.sovcloud-identity.de"}},
		{"login.sovcloud-identity.sg", "login.sovcloud-identity.sg", []string{"login.sovcloud-identity.sg"}},
	}
	m := map[string]instanceMetadata{}
	for _, c := range clouds {
		for _, a := range c.Aliases {
			m[a] = c
		}
	}
	return m
}()

// knownInstanceDiscovery answers MSAL's instance discovery request for an
// authority on one of Microsoft's own clouds, without sending it.
//
// MSAL for Go sends that request before it reads its cache, once per client:
// so every new process paid a round trip to Entra ID before it could use a
// token it had cached, and a process without a network waited out the
// request's retries before MSAL fell back to this same metadata. For these
// hosts MSAL validates nothing with the answer (it trusts
// them, and sends the request to the host itself), and the answer is fixed;
// so this one is made here, from the metadata MSAL itself keeps for them.
// Any other request, including the discovery of any other authority host,
// which is how Entra ID validates such an authority, goes out as before.
func (c Client) knownInstanceDiscovery(r *http.Request) (*http.Response, bool) {
	if r.Method != http.MethodGet || r.URL.Scheme != "https" || r.URL.Path != "/common/discovery/instance" {
		return nil, false
	}
	host := strings.ToLower(r.URL.Host)
	md, ok := knownInstanceMetadata[host]
	if !ok {
		return nil, false
	}
	q := r.URL.Query()
	if q.Get("api-version") != "1.1" {
		return nil, false
	}
	// MSAL names the authority as its authorize endpoint,
	// https://{host}/{tenant}/oauth2/v2.0/authorize.
	authz, err := url.Parse(q.Get("authorization_endpoint"))
	if err != nil || authz.Scheme != "https" || !strings.EqualFold(authz.Host, host) || authz.RawQuery != "" || authz.Fragment != "" {
		return nil, false
	}
	tenant, rest, _ := strings.Cut(strings.TrimPrefix(authz.Path, "/"), "/")
	if tenant == "" || rest != "oauth2/v2.0/authorize" {
		return nil, false
	}
	body, err := json.Marshal(struct {
		TenantDiscoveryEndpoint string             `json:"tenant_discovery_endpoint"`
		APIVersion              string             `json:"api-version"`
		Metadata                []instanceMetadata `json:"metadata"`
	}{
		TenantDiscoveryEndpoint: "https://" + host + "/" + url.PathEscape(tenant) + "/v2.0/.well-known/openid-configuration",
		APIVersion:              "1.1",
		Metadata:                []instanceMetadata{md},
	})
	if err != nil {
		return nil, false
	}
	// The request never reaches the pipeline, so it has no line in the
	// pipeline's log: this one says what became of it.
	c.log(fmt.Sprintf("instance discovery for %s answered in process from the metadata MSAL for Go keeps for Microsoft's clouds; no request sent", host))
	return inProcessResponse(r, body), true
}

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
func (c Client) knownOpenIDConfiguration(r *http.Request, known tenantKnown) (*http.Response, bool) {
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
	case t == "common" || t == "organizations":
	case t == "consumers" && host == "login.microsoftonline.com":
	case IsTenantGUID(tenant) && known != nil && known(host, tenant):
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
	c.log(fmt.Sprintf("the OpenID configuration of a tenant at %s answered in process (its endpoints are the tenant's path on that host); no request sent", host))
	return inProcessResponse(r, body), true
}

// SameCloud reports whether two authority hosts are aliases of one of
// Microsoft's clouds (an AuthenticationRecord names the host MSAL caches
// under, login.windows.net for the public cloud).
func SameCloud(a, b string) bool {
	ma, ok := knownInstanceMetadata[strings.ToLower(a)]
	if !ok {
		return false
	}
	mb, ok := knownInstanceMetadata[strings.ToLower(b)]
	return ok && ma.PreferredNetwork == mb.PreferredNetwork
}
