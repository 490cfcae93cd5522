// Package msalhttp is the HTTP client MSAL for Go sends its requests
// through: the credential's azcore pipeline, answering in process the
// requests whose answers are fixed, bounding response bodies, and keeping a
// request's secrets out of the error responses MSAL quotes.
package msalhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
)

// Client sends MSAL's requests through a credential's azcore pipeline, so
// ClientOptions (Transport, Retry, logging, telemetry) govern every request
// MSAL makes. It implements MSAL's HTTP client interface.
type Client struct {
	Pipeline *azcore.Client
	// TenantKnown reports whether tenant (an ID) exists at host, so that its
	// OpenID configuration may be answered in process. Nil: no tenant ID's is.
	TenantKnown func(host, tenant string) bool
	// Log receives a line when a request is answered in process, since such
	// a request has no line in the pipeline's log. Nil logs nothing.
	Log func(msg string)
	// Gate, if set, may refuse a request before it goes out: its error is returned.
	Gate func(r *http.Request) error
}

// Do sends r, or answers it in process.
func (c Client) Do(r *http.Request) (*http.Response, error) {
	if resp, ok := c.knownInstanceDiscovery(r); ok {
		return resp, nil
	}
	if resp, ok := c.knownOpenIDConfiguration(r, c.TenantKnown); ok {
		return resp, nil
	}
	if c.Gate != nil {
		if err := c.Gate(r); err != nil {
			return nil, err
		}
	}
	req, err := runtime.NewRequest(r.Context(), r.Method, r.URL.String())
	if err != nil {
		return nil, err
	}
	var b []byte
	if r.Body != nil && r.Body != http.NoBody {
		// The pipeline may retry, so the body must be seekable.
		b, err = io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		_ = req.SetBody(streaming.NopCloser(bytes.NewReader(b)), r.Header.Get("Content-Type")) // fails only if Seek does
	}
	h := req.Raw().Header
	for k, vs := range r.Header {
		// MSAL sets some headers twice, under a literal key and through Set
		// ("client-request-id", "Client-Request-Id"): the canonical key's is sent.
		ck := http.CanonicalHeaderKey(k)
		if _, dup := r.Header[ck]; dup && ck != k {
			continue
		}
		if _, set := h[ck]; !set {
			h[ck] = append([]string(nil), vs...)
		}
	}
	resp, err := c.Pipeline.Pipeline().Do(req)
	if err != nil {
		return nil, err
	}
	return guardResponse(r, b, resp)
}

// CloseIdleConnections is part of MSAL's HTTP client interface; the
// pipeline's transport owns its connections.
func (Client) CloseIdleConnections() {}

func (c Client) log(msg string) {
	if c.Log != nil {
		c.Log(msg)
	}
}

// inProcessResponse is a 200 response to r with a JSON body, logged.
func (c Client) inProcessResponse(r *http.Request, body any, logLine string) (*http.Response, bool) {
	b, _ := json.Marshal(body) // strings only: never fails
	c.log(logLine)
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:          io.NopCloser(bytes.NewReader(b)),
		ContentLength: int64(len(b)),
		Request:       r,
	}, true
}

// instanceMetadata is one entry of Entra ID's instance discovery metadata:
// the hosts that are one authority, and which of them to use.
type instanceMetadata struct {
	PreferredNetwork string   `json:"preferred_network"`
	PreferredCache   string   `json:"preferred_cache"`
	Aliases          []string `json:"aliases"`
}

// knownInstanceMetadata is MSAL for Go's metadata for Microsoft's clouds (its
// internal GetKnownMetadata; TestKnownInstanceMetadataIsMSALs keeps the two
// the same), by alias.
var knownInstanceMetadata = func() map[string]instanceMetadata {
	m := map[string]instanceMetadata{}
	for _, c := range []instanceMetadata{
		{"login.microsoftonline.com", "login.windows.net", []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}},
		{"login.partner.microsoftonline.cn", "login.partner.microsoftonline.cn", []string{"login.partner.microsoftonline.cn", "login.chinacloudapi.cn"}},
		{"login.microsoftonline.de", "login.microsoftonline.de", []string{"login.microsoftonline.de"}},
		{"login.microsoftonline.us", "login.microsoftonline.us", []string{"login.microsoftonline.us", "login.usgovcloudapi.net"}},
		{"login-us.microsoftonline.com", "login-us.microsoftonline.com", []string{"login-us.microsoftonline.com"}},
		{"login.sovcloud-identity.fr", "login.sovcloud-identity.fr", []string{"login.sovcloud-identity.fr"}},
		{"login.sovcloud-identity.de", "login.sovcloud-identity.de", []string{"login.sovcloud-identity.de"}},
		{"login.sovcloud-identity.sg", "login.sovcloud-identity.sg", []string{"login.sovcloud-identity.sg"}},
	} {
		for _, a := range c.Aliases {
			m[a] = c
		}
	}
	return m
}()

// knownInstanceDiscovery answers MSAL's instance discovery request for a
// host it trusts, which validates nothing, from knownInstanceMetadata: MSAL
// sends it before reading its cache, so each new process paid a round trip
// (or, offline, waited out its retries). Other hosts' discovery goes out.
func (c Client) knownInstanceDiscovery(r *http.Request) (*http.Response, bool) {
	if r.Method != http.MethodGet || r.URL.Scheme != "https" || r.URL.Path != "/common/discovery/instance" {
		return nil, false
	}
	host := strings.ToLower(r.URL.Host)
	md, ok := knownInstanceMetadata[host]
	q := r.URL.Query()
	if !ok || q.Get("api-version") != "1.1" {
		return nil, false
	}
	// MSAL names the authority by its authorize endpoint.
	authz, err := url.Parse(q.Get("authorization_endpoint"))
	if err != nil || authz.Scheme != "https" || !strings.EqualFold(authz.Host, host) || authz.RawQuery != "" || authz.Fragment != "" {
		return nil, false
	}
	tenant, rest, _ := strings.Cut(strings.TrimPrefix(authz.Path, "/"), "/")
	if tenant == "" || rest != "oauth2/v2.0/authorize" {
		return nil, false
	}
	return c.inProcessResponse(r, struct {
		TenantDiscoveryEndpoint string             `json:"tenant_discovery_endpoint"`
		APIVersion              string             `json:"api-version"`
		Metadata                []instanceMetadata `json:"metadata"`
	}{
		TenantDiscoveryEndpoint: "https://" + host + "/" + url.PathEscape(tenant) + "/v2.0/.well-known/openid-configuration",
		APIVersion:              "1.1",
		Metadata:                []instanceMetadata{md},
	}, fmt.Sprintf("instance discovery for %s answered in process from the metadata MSAL for Go keeps for Microsoft's clouds; no request sent", host))
}

// knownEndpointHosts are the authority hosts whose OpenID configuration has a
// fixed shape for every tenant, with their issuer's host: MSAL for
// JavaScript's table (msal-common's AuthorityMetadata). Each is a host MSAL
// for Go trusts (TestKnownEndpointHostsAreTrustedByMSAL).
var knownEndpointHosts = map[string]string{
	"login.microsoftonline.com":  "login.microsoftonline.com",
	"login.chinacloudapi.cn":     "login.partner.microsoftonline.cn",
	"login.microsoftonline.us":   "login.microsoftonline.us",
	"login.sovcloud-identity.fr": "login.sovcloud-identity.fr",
	"login.sovcloud-identity.de": "login.sovcloud-identity.de",
	"login.sovcloud-identity.sg": "login.sovcloud-identity.sg",
}

// knownOpenIDConfiguration answers MSAL's request for the OpenID
// configuration (of which MSAL uses only the endpoints) of a tenant known to
// exist on a knownEndpointHosts host: "common", "organizations", "consumers"
// on the public cloud, and the tenant IDs known reports. Others get Entra
// ID's answer, so that a mistyped TenantID fails at once (AADSTS90002).
func (c Client) knownOpenIDConfiguration(r *http.Request, known func(host, tenant string) bool) (*http.Response, bool) {
	if r.Method != http.MethodGet || r.URL.Scheme != "https" || r.URL.RawQuery != "" || r.URL.Fragment != "" {
		return nil, false
	}
	host := strings.ToLower(r.URL.Host)
	issuerHost, ok := knownEndpointHosts[host]
	tenant, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || tenant == "" || rest != "v2.0/.well-known/openid-configuration" {
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
	return c.inProcessResponse(r, struct {
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		DeviceEndpoint        string `json:"device_authorization_endpoint"`
		Issuer                string `json:"issuer"`
	}{
		AuthorizationEndpoint: base + "/oauth2/v2.0/authorize",
		TokenEndpoint:         base + "/oauth2/v2.0/token",
		DeviceEndpoint:        base + "/oauth2/v2.0/devicecode",
		Issuer:                "https://" + issuerHost + "/{tenantid}/v2.0", // as Entra ID's own says
	}, fmt.Sprintf("the OpenID configuration of a tenant at %s answered in process (its endpoints are the tenant's path on that host); no request sent", host))
}

// SameCloud reports whether two authority hosts are aliases of one of
// Microsoft's clouds (an AuthenticationRecord names the host MSAL caches
// under, login.windows.net for the public cloud).
func SameCloud(a, b string) bool {
	ma, ok := knownInstanceMetadata[strings.ToLower(a)]
	mb, ok2 := knownInstanceMetadata[strings.ToLower(b)]
	return ok && ok2 && ma.PreferredNetwork == mb.PreferredNetwork
}
