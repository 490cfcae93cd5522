package entratest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// instanceMetadata is one entry of the instance discovery metadata.
type instanceMetadata struct {
	PreferredNetwork string   `json:"preferred_network"`
	PreferredCache   string   `json:"preferred_cache"`
	Aliases          []string `json:"aliases"`
}

// publicCloudMetadata is Entra ID's instance metadata for the public cloud.
var publicCloudMetadata = instanceMetadata{
	PreferredNetwork: "login.microsoftonline.com",
	PreferredCache:   "login.windows.net",
	Aliases:          []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"},
}

// serveInstanceDiscovery serves GET /common/discovery/instance. MSAL sends it to
// login.microsoftonline.com for any authority host it doesn't know (127.0.0.1:PORT
// included), naming the authority in the authorization_endpoint parameter.
func (s *Server) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request, _ route) {
	authzEndpoint := r.Form.Get("authorization_endpoint")
	if authzEndpoint == "" {
		authzEndpoint = baseURL(r) + "/common/oauth2/v2.0/authorize"
	}
	u, err := url.Parse(authzEndpoint)
	if err != nil || u.Scheme != "https" || !s.isOwnHost(u.Host) {
		s.writeError(w, r, errInvalidInstance())
		return
	}
	tenant, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if tenant == "" {
		tenant = "common"
	}
	md := instanceMetadata{PreferredNetwork: u.Host, PreferredCache: u.Host, Aliases: []string{u.Host}}
	if isRoutedHost(u.Hostname()) {
		md = publicCloudMetadata
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": fmt.Sprintf("https://%s/%s/v2.0/.well-known/openid-configuration", u.Host, tenant),
		"api-version":               "1.1",
		"metadata":                  []instanceMetadata{md},
	})
}

// serveOpenIDConfig serves GET /{tenant}/v2.0/.well-known/openid-configuration. For a
// specific tenant, named by ID or domain, URLs carry the tenant ID, as in Entra ID; for
// common and organizations the issuer has the placeholder {tenantid}.
func (s *Server) serveOpenIDConfig(w http.ResponseWriter, r *http.Request, rt route) {
	s.mu.Lock()
	ref, eerr := s.dir.lookupTenant(rt.tenant)
	s.mu.Unlock()
	if eerr != nil {
		s.writeError(w, r, eerr)
		return
	}
	base := baseURL(r)
	seg, issuerTenant := rt.tenant, "{tenantid}"
	if ref.kind == tenantSpecific || ref.kind == tenantConsumers {
		seg, issuerTenant = ref.tenant.ID, ref.tenant.ID
	}
	ep := base + "/" + seg
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base + "/" + issuerTenant + "/v2.0",
		"authorization_endpoint":                ep + "/oauth2/v2.0/authorize",
		"token_endpoint":                        ep + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         ep + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  ep + "/oauth2/v2.0/logout",
		"jwks_uri":                              ep + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "tid",
			"preferred_username", "ver", "nonce"},
		"request_uri_parameter_supported": false,
		"tenant_region_scope":             "NA",
		"cloud_instance_name":             "microsoftonline.com",
		"cloud_graph_host_name":           "graph.windows.net",
		"msgraph_host":                    "graph.microsoft.com",
	})
}

// serveKeys serves the JWKS. All tenants share the server's one signing key.
func (s *Server) serveKeys(w http.ResponseWriter, r *http.Request, rt route) {
	s.mu.Lock()
	_, eerr := s.dir.lookupTenant(rt.tenant)
	s.mu.Unlock()
	if eerr != nil {
		s.writeError(w, r, eerr)
		return
	}
	writeJSON(w, http.StatusOK, s.jwks(r))
}

// userRealm is the body of the user realm response (api-version 1.0).
type userRealm struct {
	Ver                   string `json:"ver"`
	AccountType           string `json:"account_type"`
	DomainName            string `json:"domain_name"`
	CloudInstanceName     string `json:"cloud_instance_name"`
	CloudAudienceURN      string `json:"cloud_audience_urn"`
	FederationProtocol    string `json:"federation_protocol,omitempty"`
	FederationMetadataURL string `json:"federation_metadata_url,omitempty"`
	FederationActiveURL   string `json:"federation_active_auth_url,omitempty"`
}

// serveUserRealm serves GET /common/UserRealm/{username}: "Managed" for directory users
// and for unknown users of a tenant's domain, "Federated" for federated users, and
// "Unknown" for personal accounts and unknown domains (MSAL then fails with "unknown
// account type", as against Entra ID).
func (s *Server) serveUserRealm(w http.ResponseWriter, r *http.Request, rt route) {
	username := rt.arg
	_, domain, _ := strings.Cut(username, "@")
	resp := userRealm{
		Ver:               "1.0",
		AccountType:       "Unknown",
		DomainName:        strings.ToLower(domain),
		CloudInstanceName: "microsoftonline.com",
		CloudAudienceURN:  "urn:federation:MicrosoftOnline",
	}
	s.mu.Lock()
	u, found := s.dir.user(username)
	_, domainKnown := s.dir.tenants[strings.ToLower(domain)]
	s.mu.Unlock()
	switch {
	case found && u.PersonalAccount:
	case found && u.Federated:
		resp.AccountType = "Federated"
		resp.FederationProtocol = "WSTrust"
		resp.FederationMetadataURL = baseURL(r) + "/federation/" + url.PathEscape(resp.DomainName) + "/mex"
		resp.FederationActiveURL = baseURL(r) + "/federation/" + url.PathEscape(resp.DomainName) + "/usernamemixed"
	case found || domainKnown:
		resp.AccountType = "Managed"
	}
	writeJSON(w, http.StatusOK, resp)
}

// serveFederationMetadata answers the WS-Trust metadata URL of federated domains with 404:
// the emulator has no federation server.
func (s *Server) serveFederationMetadata(w http.ResponseWriter, _ *http.Request, _ route) {
	http.Error(w, "entratest: WS-Trust federation is not emulated; federated users can't use the username/password flow", http.StatusNotFound)
}

// serveErrorInfo serves the page error_uri points to.
func (s *Server) serveErrorInfo(w http.ResponseWriter, r *http.Request, _ route) {
	code, _ := strconv.Atoi(r.Form.Get("code"))
	s.renderPage(w, http.StatusOK, pageData{
		Step:    "error",
		Title:   "Error details",
		Heading: fmt.Sprintf("AADSTS%d", code),
		Message: "This is the entratest emulator. The error_description of the response that linked here explains the error.",
	})
}
