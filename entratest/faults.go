package entratest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Endpoint names a group of the server's HTTP endpoints, for [Server.InjectFault] and
// [Request.Endpoint]. Besides the constants, requests are logged as "devicelogin" (the
// device code verification page), "error" (the page error_uri links to),
// "federation-metadata" (federated users' WS-Trust metadata URL, which answers 404) and
// "unknown" (paths the server doesn't serve).
type Endpoint string

// The endpoints. {tenant} is common, organizations, consumers, a tenant ID or a domain.
const (
	// EndpointDiscovery is GET /common/discovery/instance (instance discovery).
	EndpointDiscovery Endpoint = "discovery"
	// EndpointOpenIDConfig is GET /{tenant}/v2.0/.well-known/openid-configuration.
	EndpointOpenIDConfig Endpoint = "openid-configuration"
	// EndpointKeys is GET /{tenant}/discovery/v2.0/keys (the JWKS).
	EndpointKeys Endpoint = "keys"
	// EndpointUserRealm is GET /common/UserRealm/{username}.
	EndpointUserRealm Endpoint = "userrealm"
	// EndpointAuthorize is GET or POST /{tenant}/oauth2/v2.0/authorize.
	EndpointAuthorize Endpoint = "authorize"
	// EndpointLogin is POST /{tenant}/login, where sign-in page forms are submitted.
	EndpointLogin Endpoint = "login"
	// EndpointToken is POST /{tenant}/oauth2/v2.0/token.
	EndpointToken Endpoint = "token"
	// EndpointDeviceCode is POST /{tenant}/oauth2/v2.0/devicecode.
	EndpointDeviceCode Endpoint = "devicecode"
)

// The endpoints of pages and paths that clients don't call.
const (
	endpointFederationMetadata Endpoint = "federation-metadata"
	endpointDeviceLogin        Endpoint = "devicelogin" // GET or POST /devicelogin
	endpointErrorPage          Endpoint = "error"       // GET /error?code=N
	endpointUnknown            Endpoint = "unknown"
)

// Fault is a failure to inject into responses. The zero Fault does nothing. When several
// fields are set, Delay happens first, then the response is chosen: DropConnection, else
// TruncatedBody, else MalformedJSON, else Status.
type Fault struct {
	// Status, if nonzero, replaces the response with this HTTP status and an Entra-shaped
	// JSON error body (error "temporarily_unavailable" for 429 and 5xx, "invalid_request"
	// otherwise). MSAL's HTTP client doesn't retry, but azcore's pipeline retries 408, 429,
	// 500, 502, 503 and 504.
	Status int
	// RetryAfter, if positive, adds a Retry-After header (whole seconds, rounded up).
	RetryAfter time.Duration
	// Delay holds the response back, honoring the request's context and Close. With no
	// other field set, the request is then served normally.
	Delay time.Duration
	// MalformedJSON replaces the body with invalid JSON (status Status, or 200).
	MalformedJSON bool
	// TruncatedBody serves the real response, but cuts the connection halfway through a body
	// whose Content-Length promised more.
	TruncatedBody bool
	// DropConnection closes the connection without responding. TruncatedBody and
	// DropConnection work by panicking with http.ErrAbortHandler, which net/http and
	// Transport handle; a handler mounting the server elsewhere must let it through.
	DropConnection bool
}

// faultQueue holds the faults still to inject, per endpoint. Server.mu guards it.
type faultQueue map[Endpoint][]Fault

// InjectFault makes the next n requests to ep fail with f, after any faults already queued
// for ep. Every request counts, including the retries of a client's HTTP stack (Go's
// transport may retry an idempotent request once when a reused connection drops). It
// panics if n < 1.
func (s *Server) InjectFault(ep Endpoint, n int, f Fault) {
	if n < 1 {
		panic(fmt.Sprintf("entratest: InjectFault: n must be at least 1, got %d", n))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.faults = faultQueue{}
	}
	for range n {
		s.faults[ep] = append(s.faults[ep], f)
	}
}

// SlowDownDeviceCode makes the next n device code polls that would get authorization_pending
// get slow_down instead. MSAL treats both alike: it keeps polling on its own schedule.
func (s *Server) SlowDownDeviceCode(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.slowDown += n
}

func (s *Server) takeFault(ep Endpoint) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[ep]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[ep] = q[1:]
	return q[0], true
}

// applyFault carries out f. It reports whether it wrote the response; if not, the caller
// serves the request normally. serve writes the normal response (for TruncatedBody).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, serve func(http.ResponseWriter)) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			panic(http.ErrAbortHandler)
		case <-s.closing:
			t.Stop()
			panic(http.ErrAbortHandler)
		}
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	switch {
	case f.DropConnection:
		// net/http closes the connection without a response, and logs nothing.
		panic(http.ErrAbortHandler)
	case f.TruncatedBody:
		buf := httptest.NewRecorder()
		serve(buf)
		for k, v := range buf.Header() {
			w.Header()[k] = v
		}
		body := buf.Body.Bytes()
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(buf.Code)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	case f.MalformedJSON:
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"token_type":"Bearer","expires_in":`))
		return true
	case f.Status != 0:
		code := "invalid_request"
		if f.Status == http.StatusTooManyRequests || f.Status >= 500 {
			code = "temporarily_unavailable"
		}
		s.writeError(w, r, &entraError{status: f.Status, code: code, aadsts: 90033,
			msg: fmt.Sprintf("A transient error has occurred. Please try again. (entratest injected HTTP %d)", f.Status)})
		return true
	}
	return false
}
