package entratest

import (
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Request is one request the server received.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Host is the Host the client sent, for example "127.0.0.1:43215" or
	// "login.microsoftonline.com".
	Host string
	// Path is the URL path.
	Path string
	// Form holds the query and, for POST, the form body, unredacted so tests can assert on
	// what a client sent. It contains secrets: don't log it.
	Form url.Values
	// GrantType is the grant_type of token requests, "" for other requests.
	GrantType string
	// Endpoint is the endpoint the request was routed to.
	Endpoint Endpoint
	// Status is the HTTP status of the response; 0 when a fault dropped the connection.
	Status int
	// Time is when the request arrived, by the server's clock (Options.Now).
	Time time.Time
}

// Requests returns the requests received since the server started or ResetRequests was
// called, oldest first.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.requests = nil
}

// Secrets returns every secret the server issued or received: access, refresh and ID tokens,
// authorization and device codes, PKCE verifiers, client secrets and assertions, sign-in
// session cookies, one-time MFA codes, and the passwords of users and of sign-in attempts.
// Tests can assert that none of them appears in logs or error messages. User codes are not
// included: clients show them to users.
func (s *Server) Secrets() []string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.secrets.list)
}

// BrowserErrors returns the errors the stand-in browsers (Browser, CancelBrowser,
// DeviceBrowser) returned, oldest first, for tests whose code under test drops them.
func (s *Server) BrowserErrors() []error {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.browserErrors)
}

// secretSet is an ordered set of secrets. Server.logMu guards it.
type secretSet struct {
	list []string
	seen map[string]bool
}

func newSecretSet() secretSet { return secretSet{seen: map[string]bool{}} }

func (s *Server) addSecret(v string) {
	if v == "" {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if !s.secrets.seen[v] {
		s.secrets.seen[v] = true
		s.secrets.list = append(s.secrets.list, v)
	}
}

// secretParams are the request parameters whose values are secrets.
var secretParams = []string{"password", "code", "code_verifier", "refresh_token", "device_code",
	"client_secret", "client_assertion", "assertion", "otc", "access_token", "id_token"}

func (s *Server) recordReceivedSecrets(form url.Values) {
	for _, p := range secretParams {
		for _, v := range form[p] {
			s.addSecret(v)
		}
	}
}

func (s *Server) recordBrowserError(err error) {
	s.logMu.Lock()
	s.browserErrors = append(s.browserErrors, err)
	s.logMu.Unlock()
	s.logf("browser: %v", err)
}

func (s *Server) logRequest(r *http.Request, ep Endpoint, status int, at time.Time) {
	req := Request{
		Method:    r.Method,
		Host:      r.Host,
		Path:      r.URL.Path,
		Form:      cloneValues(r.Form),
		Endpoint:  ep,
		Status:    status,
		Time:      at,
		GrantType: "",
	}
	if ep == EndpointToken {
		req.GrantType = r.PostForm.Get("grant_type")
	}
	s.logMu.Lock()
	s.requests = append(s.requests, req)
	s.logMu.Unlock()
	if req.GrantType != "" {
		s.logf("%s %s%s grant_type=%s -> %d", r.Method, r.Host, r.URL.Path, req.GrantType, status)
	} else {
		s.logf("%s %s%s -> %d", r.Method, r.Host, r.URL.Path, status)
	}
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
