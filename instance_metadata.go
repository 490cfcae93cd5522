package azinteractive

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

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
func knownInstanceDiscovery(r *http.Request) (*http.Response, bool) {
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
	logf("instance discovery for %s answered in process from the metadata MSAL for Go keeps for Microsoft's clouds; no request sent", host)
	return inProcessResponse(r, body), true
}
