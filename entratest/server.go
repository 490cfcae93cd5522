package entratest

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// Well-known directory objects that every [Server] starts with.
const (
	// DefaultTenantID is the ID of the tenant every server starts with. Its domain is
	// DefaultTenantDomain.
	DefaultTenantID = "6e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
	// DefaultTenantDomain is the verified domain of the default tenant.
	DefaultTenantDomain = "contoso.com"
	// DefaultClientID is the Azure development client ID, which the credentials use by default.
	// Every server registers it as a consented public client with the redirect URIs
	// "http://localhost" and, for the identity broker, "ms-appx-web://Microsoft.AAD.BrokerPlugin/"
	// followed by the client ID.
	DefaultClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	// DefaultUsername is the sign-in name of the user every server starts with.
	DefaultUsername = "alice@contoso.com"
	// DefaultPassword is the password of DefaultUsername.
	DefaultPassword = "alice-Pa55w0rd-entratest"
	// DefaultUserObjectID is the object ID (oid claim) of DefaultUsername, so the home account
	// ID of the default user is DefaultUserObjectID + "." + DefaultTenantID.
	DefaultUserObjectID = "a11ce000-0000-4000-8000-000000000001"
)

// Options configures a [Server]. A nil *Options, like the zero value, gives the defaults.
type Options struct {
	// AccessTokenLifetime is the lifetime of access tokens (expires_in). The default is one hour.
	// MSAL neither caches nor serves an access token that expires within 5 minutes, so a value
	// of 5 minutes or less makes every silent request redeem the refresh token; 5m1s gives a
	// token that MSAL caches for about a second.
	AccessTokenLifetime time.Duration
	// RefreshIn, when positive, makes token responses carry refresh_in, rounded up to whole
	// seconds. MSAL then refreshes the token proactively once that time has passed.
	RefreshIn time.Duration
	// ReusableRefreshTokens makes refresh tokens work as Entra ID's do: a redeemed one stays
	// valid (until its lifetime ends). By default they are single-use, which catches clients
	// that redeem one refresh token twice; this option models the service they meet.
	ReusableRefreshTokens bool
	// RefreshTokenLifetime is how long a refresh token can be redeemed (AADSTS700082 after
	// that). The default is 90 days, Entra's inactivity lifetime.
	RefreshTokenLifetime time.Duration
	// DeviceCodeLifetime is the lifetime of device codes (expires_in of the device code
	// response). The default is 15 minutes. The response rounds it up to whole seconds, and
	// MSAL stops polling once it has passed.
	DeviceCodeLifetime time.Duration
	// Now is the server's clock. It dates tokens (iat, nbf, exp) and decides when
	// authorization codes, device codes and refresh tokens expire. Defaults to time.Now.
	// Clients keep their own clocks: MSAL computes expiry from expires_in.
	Now func() time.Time
	// Logf, if set, receives one line per request and per stand-in browser step. Lines
	// never contain secrets (tokens, codes, passwords).
	Logf func(format string, args ...any)
	// ApproveDeviceCodesAs, when set, approves every device code as this user the moment
	// it is issued, as [Server.ApproveDeviceCode] would: for unattended runs against a
	// server in another process, where a test can't call ApproveDeviceCode itself.
	ApproveDeviceCodesAs string
	// Addr is the loopback address to listen on, such as "127.0.0.1:8443". The default
	// is a random port on 127.0.0.1. A fixed address lets another process (a program
	// under test, a person's browser) find the server.
	Addr string
}

// Lifetimes that are not configurable.
const (
	idTokenLifetime  = time.Hour
	authCodeLifetime = 10 * time.Minute
	signInLifetime   = time.Hour // how long an unfinished sign-in page flow stays usable
)

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.AccessTokenLifetime <= 0 {
		c.AccessTokenLifetime = time.Hour
	}
	if c.RefreshTokenLifetime <= 0 {
		c.RefreshTokenLifetime = 90 * 24 * time.Hour
	}
	if c.DeviceCodeLifetime <= 0 {
		c.DeviceCodeLifetime = 15 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server is a local Microsoft Entra ID: an HTTPS server on 127.0.0.1 that MSAL public clients
// complete the interactive, device code, username/password and refresh flows against. It is
// an [http.Handler]. Its methods are safe for concurrent use.
type Server struct {
	opts       Options // defaults applied; never changed after construction
	ts         *httptest.Server
	cert       tls.Certificate
	signingKey *rsa.PrivateKey
	keyID      string
	closing    chan struct{} // closed by Close; ends fault delays
	closeOnce  sync.Once
	browserJar http.CookieJar // the stand-in browsers' cookies (one shared browser profile)

	startMu   sync.Mutex      // guards started and transport
	started   bool            // Start was called
	transport *http.Transport // trusts cert and routes the Entra hosts; set by Start

	// mu guards dir, state and faults. Code holding mu may take logMu (to record a
	// secret), never the reverse. Nothing holds mu across network I/O or a fault's delay.
	mu     sync.Mutex
	dir    directory     // tenants, users, apps and consent
	state  protocolState // codes, tokens, sessions and sign-in flows
	faults faultQueue    // faults still to inject

	logMu         sync.Mutex // guards requests, secrets and browserErrors; taken last
	requests      []Request
	secrets       secretSet
	browserErrors []error

	// netMu guards roots and resources. It is taken alone: nothing holding it takes
	// another lock or does I/O.
	netMu     sync.Mutex
	roots     *x509.CertPool       // what Client trusts; replaced, never changed, once published
	resources map[string]*Resource // by lowercase Host, the resources with one
	allRes    []*Resource          // every resource, closed by Close
}

// NewServer returns a started [Server]. The caller must call Close when done.
func NewServer(opts *Options) *Server {
	s := NewUnstartedServer(opts)
	s.Start()
	return s
}

// NewUnstartedServer returns a [Server] that listens on 127.0.0.1 but doesn't serve until
// Start is called. Use it to change the directory before the first request.
func NewUnstartedServer(opts *Options) *Server {
	s := &Server{
		opts:    opts.withDefaults(),
		closing: make(chan struct{}),
		state:   newProtocolState(),
		secrets: newSecretSet(),
		dir:     newDirectory(),
	}
	s.cert, _ = newTLSCertificate()
	s.roots = x509.NewCertPool()
	s.roots.AddCert(s.cert.Leaf)
	s.signingKey, s.keyID = newSigningKey()
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic("entratest: creating cookie jar: " + err.Error())
	}
	s.browserJar = jar
	s.addDefaults()
	s.ts = httptest.NewUnstartedServer(s)
	s.ts.Config.ErrorLog = log.New(logfWriter{s}, "", 0)
	if s.opts.Addr != "" {
		host, _, err := net.SplitHostPort(s.opts.Addr)
		if err != nil || !(host == "localhost" || net.ParseIP(host).IsLoopback()) {
			panic("entratest: Options.Addr must be a loopback host:port, not " + s.opts.Addr)
		}
		l, err := net.Listen("tcp", s.opts.Addr)
		if err != nil {
			panic("entratest: listening on " + s.opts.Addr + ": " + err.Error())
		}
		_ = s.ts.Listener.Close()
		s.ts.Listener = l
	}
	return s
}

// Certificate returns the server's self-signed TLS certificate, for clients in other
// processes that must trust it (Client does, in this one). It is a CA certificate for
// 127.0.0.1, ::1, localhost and the public Entra hosts that Client routes here.
func (s *Server) Certificate() *x509.Certificate { return s.cert.Leaf }

// Start starts serving HTTPS. It panics if the server was already started.
func (s *Server) Start() {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.started {
		panic("entratest: Server already started")
	}
	s.started = true
	s.ts.TLS = &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
	s.ts.StartTLS()
	s.transport = s.newTransport()
}

// Close shuts the server down, blocking until all outstanding requests have completed, and
// closes the idle connections of the clients it gave out. Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.netMu.Lock()
		resources := s.allRes
		s.netMu.Unlock()
		for _, r := range resources {
			r.Close()
		}
		s.ts.Close()
		s.startMu.Lock()
		defer s.startMu.Unlock()
		if s.transport != nil {
			s.transport.CloseIdleConnections()
		}
	})
}

// URL returns the base URL of the server, for example "https://127.0.0.1:43215", with no
// trailing slash. It is valid before Start too. Use URL()+"/"+tenant as an MSAL authority.
func (s *Server) URL() string {
	return "https://" + s.ts.Listener.Addr().String()
}

// Client returns an HTTP client for talking to the server. It trusts the server's
// certificate (which also signs the certificates of its [Resource] servers) and those
// added with TrustCertificate, and sends requests for https://login.microsoftonline.com,
// https://login.microsoft.com and https://login.windows.net (port 443) to the server, so an
// MSAL client configured for the public cloud, with instance discovery, works offline, and
// requests for a Resource's Host to that resource. It also allows loopback requests (http
// or https, any port), which the stand-in browser needs to post to a redirect URI like
// http://localhost:PORT, and which reach resources and servers of the test's own. It
// refuses every other host with an error that names the host. Client panics if the server
// wasn't started.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: &routingTransport{s: s, base: s.mustTransport()}}
}

// TrustCertificate makes Client (and the clients it gave out before) trust cert as a root,
// for HTTPS servers of the test's own, such as an httptest.NewTLSServer standing in for an
// API: pass its Certificate().
func (s *Server) TrustCertificate(cert *x509.Certificate) {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	roots := s.roots.Clone()
	roots.AddCert(cert)
	s.roots = roots
}

// rootCAs returns what Client trusts now.
func (s *Server) rootCAs() *x509.CertPool {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	return s.roots
}

func (s *Server) mustTransport() *http.Transport {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.transport == nil {
		panic("entratest: Client called before Start")
	}
	return s.transport
}

// Cloud returns a cloud configuration whose authority host is the server, for
// azcore.ClientOptions.Cloud. Its ResourceManager service is Azure public cloud's.
func (s *Server) Cloud() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: s.URL() + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: cloud.AzurePublic.Services[cloud.ResourceManager],
		},
	}
}

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("entratest: "+format, args...)
	}
}

// logfWriter sends the HTTP server's own error log (TLS handshake failures and the like)
// to Options.Logf instead of stderr.
type logfWriter struct{ s *Server }

func (w logfWriter) Write(p []byte) (int, error) {
	if w.s.opts.Logf != nil {
		w.s.logf("http server: %s", trimNewline(string(p)))
	}
	return len(p), nil
}

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

var _ io.Writer = logfWriter{}

// consumersTenantID is the tenant of personal Microsoft accounts, as in Entra ID.
const consumersTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"
