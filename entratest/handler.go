package entratest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// route is where a request goes.
type route struct {
	endpoint Endpoint
	methods  []string
	tenant   string // the {tenant} path segment, for tenant endpoints
	arg      string // the username, for the user realm endpoint
	serve    func(s *Server, w http.ResponseWriter, r *http.Request, rt route)
}

// routeOf maps a request to its endpoint. Fixed path segments match case-insensitively, as
// in Entra ID.
func routeOf(r *http.Request) route {
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	is := func(want ...string) bool {
		if len(seg) != len(want) {
			return false
		}
		for i, w := range want {
			if w != "*" && !strings.EqualFold(seg[i], w) {
				return false
			}
		}
		return true
	}
	get, post, both := []string{http.MethodGet}, []string{http.MethodPost}, []string{http.MethodGet, http.MethodPost}
	switch {
	case is("devicelogin"):
		return route{endpoint: endpointDeviceLogin, methods: both, serve: (*Server).serveDeviceLogin}
	case is("error"):
		return route{endpoint: endpointErrorPage, methods: get, serve: (*Server).serveErrorInfo}
	case is("common", "discovery", "instance"):
		return route{endpoint: EndpointDiscovery, methods: get, serve: (*Server).serveInstanceDiscovery}
	case is("common", "userrealm", "*"):
		return route{endpoint: EndpointUserRealm, methods: get, arg: seg[2], serve: (*Server).serveUserRealm}
	case is("federation", "*", "mex"):
		return route{endpoint: endpointFederationMetadata, methods: get, serve: (*Server).serveFederationMetadata}
	case is("*", "v2.0", ".well-known", "openid-configuration"):
		return route{endpoint: EndpointOpenIDConfig, methods: get, tenant: seg[0], serve: (*Server).serveOpenIDConfig}
	case is("*", "discovery", "v2.0", "keys"), is("*", "discovery", "keys"):
		return route{endpoint: EndpointKeys, methods: get, tenant: seg[0], serve: (*Server).serveKeys}
	case is("*", "oauth2", "v2.0", "authorize"):
		return route{endpoint: EndpointAuthorize, methods: both, tenant: seg[0], serve: (*Server).serveAuthorize}
	case is("*", "login"):
		return route{endpoint: EndpointLogin, methods: post, tenant: seg[0], serve: (*Server).serveLogin}
	case is("*", "oauth2", "v2.0", "token"):
		return route{endpoint: EndpointToken, methods: post, tenant: seg[0], serve: (*Server).serveToken}
	case is("*", "oauth2", "v2.0", "devicecode"):
		return route{endpoint: EndpointDeviceCode, methods: post, tenant: seg[0], serve: (*Server).serveDeviceCode}
	}
	return route{endpoint: endpointUnknown}
}

const knownEndpoints = `entratest serves:
  GET  /common/discovery/instance?api-version=1.1&authorization_endpoint=...
  GET  /{tenant}/v2.0/.well-known/openid-configuration
  GET  /{tenant}/discovery/v2.0/keys
  GET  /common/UserRealm/{username}?api-version=1.0
  GET  /{tenant}/oauth2/v2.0/authorize?client_id=...
  POST /{tenant}/oauth2/v2.0/token
  POST /{tenant}/oauth2/v2.0/devicecode
  GET  /devicelogin
where {tenant} is common, organizations, consumers, a tenant ID or a tenant domain.
`

// ServeHTTP serves the Entra ID endpoints. It makes Server an [http.Handler], so it can be
// mounted on another server; URLs in responses are built from each request's Host.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := s.now()
	rt := routeOf(r)
	rec := &statusRecorder{ResponseWriter: w}
	if err := r.ParseForm(); err != nil {
		http.Error(rec, "entratest: malformed request: "+err.Error(), http.StatusBadRequest)
		s.logRequest(r, rt.endpoint, rec.status, at)
		return
	}
	s.recordReceivedSecrets(r.Form)
	defer func() { s.logRequest(r, rt.endpoint, rec.status, at) }()

	if rt.serve == nil {
		http.Error(rec, fmt.Sprintf("entratest: no endpoint for %s %s\n\n%s", r.Method, r.URL.Path, knownEndpoints), http.StatusNotFound)
		return
	}
	if !slices.Contains(rt.methods, r.Method) {
		rec.Header().Set("Allow", strings.Join(rt.methods, ", "))
		http.Error(rec, fmt.Sprintf("entratest: %s %s: method not allowed; use %s", r.Method, r.URL.Path, strings.Join(rt.methods, " or ")), http.StatusMethodNotAllowed)
		return
	}
	serve := func(w http.ResponseWriter) { rt.serve(s, w, r, rt) }
	if f, ok := s.takeFault(rt.endpoint); ok && s.applyFault(rec, r, f, serve) {
		return
	}
	serve(rec)
}
