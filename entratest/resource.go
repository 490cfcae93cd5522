package entratest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// ResourceOptions configures a [Resource].
type ResourceOptions struct {
	// Audience is the resource's identifier, the aud its tokens must carry and the resource
	// its challenge names, such as "https://vault.azure.net". Required.
	Audience string

	// Scopes are the permissions every token must grant (its scp claim), such as
	// "user_impersonation" (what a ".default" scope grants). None by default.
	Scopes []string

	// TenantID, when set, is the only tenant whose tokens are accepted. The challenge names
	// it (DefaultTenantID when unset).
	TenantID string

	// Host is a DNS name, such as "contoso.vault.azure.net", at which [Server.Client]
	// reaches the resource on port 443, as clients reach the real service: an Azure SDK
	// client then needs no option it wouldn't need against the real one (Key Vault's checks
	// that the challenge's resource matches the vault's host). The certificate names it.
	// Optional: the resource always answers on its loopback URL too.
	Host string

	// Handler serves the requests whose token passed; [TokenClaims] returns the token's
	// claims. The default answers 200 with the claims as JSON.
	Handler http.Handler
}

// Resource is an API protected by Microsoft Entra ID, for tests of whole applications: an
// HTTPS server on 127.0.0.1 that accepts a request only with a bearer token of its server
// ([Server.VerifyAccessToken]: signature, issuer, expiry by the server's clock) for its
// Audience and with its Scopes, as Key Vault, Microsoft Graph or Azure Resource Manager
// would. Make one with [Server.Resource]; [Server.Client] trusts it.
//
// A request without a token gets 401 with Key Vault's challenge,
//
//	WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/{tenant}", resource="{Audience}"
//
// from which Azure SDK clients that discover their tenant and scope (azsecrets, azblob)
// learn both. A token that fails a check gets 401 with error="invalid_token" and a
// description saying which check. After [Server.RevokeSessions], a CAE-capable token (one
// whose xms_cc claim has CP1) issued before the revocation gets the continuous access
// evaluation claims challenge of [ClaimsChallengeError.WWWAuthenticate], as CAE-enabled
// services answer; a token without CP1 stays valid until it expires, as with those
// services.
type Resource struct {
	s    *Server
	opts ResourceOptions
	ts   *httptest.Server

	mu       sync.Mutex // guards requests
	requests []ResourceRequest
}

// ResourceRequest is one request a [Resource] received.
type ResourceRequest struct {
	// Method and Path are the request's.
	Method, Path string
	// Status is the HTTP status of the response.
	Status int
	// Result is what the resource made of the request's token.
	Result ResourceResult
}

// ResourceResult says what a [Resource] made of a request's token.
type ResourceResult string

// What a Resource can make of a request's token.
const (
	// ResourceNoToken: no bearer token; 401 with the challenge.
	ResourceNoToken ResourceResult = "no token"
	// ResourceAccepted: the token passed; the Handler served the request.
	ResourceAccepted ResourceResult = "accepted"
	// ResourceRejected: the token failed a check; 401 with error="invalid_token".
	ResourceRejected ResourceResult = "rejected"
	// ResourceClaimsChallenge: the token's sessions were revoked; 401 with the CAE claims
	// challenge.
	ResourceClaimsChallenge ResourceResult = "claims challenge"
)

// Resource starts a [Resource] that accepts this server's tokens. It panics if
// opts.Audience is empty. The server's Close closes it too.
func (s *Server) Resource(opts ResourceOptions) *Resource {
	if opts.Audience == "" {
		panic("entratest: Resource: ResourceOptions.Audience is required")
	}
	opts.Host = strings.ToLower(opts.Host)
	if opts.Handler == nil {
		opts.Handler = http.HandlerFunc(serveClaims)
	}
	r := &Resource{s: s, opts: opts}
	r.ts = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.ts.TLS = &tls.Config{Certificates: []tls.Certificate{s.resourceCertificate(opts.Host)}, MinVersion: tls.VersionTLS12}
	r.ts.Config.ErrorLog = s.ts.Config.ErrorLog
	r.ts.StartTLS()

	s.netMu.Lock()
	defer s.netMu.Unlock()
	if opts.Host != "" {
		if _, taken := s.resources[opts.Host]; taken || isRoutedHost(opts.Host) {
			r.ts.Close()
			panic("entratest: Resource: Host " + opts.Host + " is taken")
		}
		if s.resources == nil {
			s.resources = map[string]*Resource{}
		}
		s.resources[opts.Host] = r
	}
	s.allRes = append(s.allRes, r)
	return r
}

// URL returns the resource's base URL, such as "https://contoso.vault.azure.net" when it
// has a Host, or "https://127.0.0.1:43215", with no trailing slash.
func (r *Resource) URL() string {
	if r.opts.Host != "" {
		return "https://" + r.opts.Host
	}
	return r.ts.URL
}

// LoopbackURL returns the resource's URL on 127.0.0.1, which any client trusting the
// server's certificate reaches, Host or not.
func (r *Resource) LoopbackURL() string { return r.ts.URL }

// Requests returns the requests the resource received, oldest first.
func (r *Resource) Requests() []ResourceRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests)
}

// Close shuts the resource down. It may be called more than once.
func (r *Resource) Close() { r.ts.Close() }

// resourceAddr returns the listener address of the resource with this Host, or "".
func (s *Server) resourceAddr(host string) string {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if r, ok := s.resources[strings.ToLower(host)]; ok {
		return r.ts.Listener.Addr().String()
	}
	return ""
}

type claimsKey struct{}

// TokenClaims returns the claims of the token a [Resource] accepted for r, in its Handler;
// nil elsewhere.
func TokenClaims(r *http.Request) map[string]any {
	c, _ := r.Context().Value(claimsKey{}).(map[string]any)
	return c
}

func serveClaims(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, TokenClaims(r))
}

func (r *Resource) serve(w http.ResponseWriter, req *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	result := r.authorize(rec, req)
	r.mu.Lock()
	status := rec.status
	if status == 0 {
		status = http.StatusOK // the handler wrote nothing
	}
	r.requests = append(r.requests, ResourceRequest{Method: req.Method, Path: req.URL.Path, Status: status, Result: result})
	r.mu.Unlock()
}

// authorize checks req's token and serves req, or answers 401.
func (r *Resource) authorize(w http.ResponseWriter, req *http.Request) ResourceResult {
	token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		r.challenge(w, "")
		return ResourceNoToken
	}
	claims, revoked, err := r.s.verifyAccessToken(token)
	if err == nil {
		err = r.check(claims)
	}
	if err != nil {
		r.challenge(w, strings.TrimPrefix(err.Error(), "entratest: "))
		return ResourceRejected
	}
	if !revoked.IsZero() && hasCP1(claims) {
		w.Header().Set("WWW-Authenticate", (&ClaimsChallengeError{Claims: nbfChallenge(revoked)}).WWWAuthenticate())
		http.Error(w, "the token's sessions were revoked", http.StatusUnauthorized)
		return ResourceClaimsChallenge
	}
	r.opts.Handler.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), claimsKey{}, claims)))
	return ResourceAccepted
}

// check applies the resource's own rules: audience, scopes, tenant.
func (r *Resource) check(claims map[string]any) error {
	aud, _ := claims["aud"].(string)
	if !strings.EqualFold(strings.TrimSuffix(aud, "/"), strings.TrimSuffix(r.opts.Audience, "/")) {
		return fmt.Errorf("the token's audience is %q, not %q", aud, r.opts.Audience)
	}
	scp, _ := claims["scp"].(string)
	granted := strings.Fields(scp)
	for _, want := range r.opts.Scopes {
		if !slices.Contains(granted, want) {
			return fmt.Errorf("the token doesn't grant %q (scp %q)", want, scp)
		}
	}
	if t := r.opts.TenantID; t != "" {
		if tid, _ := claims["tid"].(string); !strings.EqualFold(tid, t) {
			return fmt.Errorf("the token is for tenant %q, not %q", tid, t)
		}
	}
	return nil
}

func hasCP1(claims map[string]any) bool {
	cc, _ := claims["xms_cc"].([]any)
	for _, c := range cc {
		if s, _ := c.(string); strings.EqualFold(s, "CP1") {
			return true
		}
	}
	return false
}

// challenge answers 401 with Key Vault's challenge, and RFC 6750's invalid_token error
// when a token failed.
func (r *Resource) challenge(w http.ResponseWriter, invalid string) {
	tenant := r.opts.TenantID
	if tenant == "" {
		tenant = DefaultTenantID
	}
	v := fmt.Sprintf(`Bearer authorization="https://login.microsoftonline.com/%s", resource="%s"`, tenant, r.opts.Audience)
	if invalid != "" {
		v += fmt.Sprintf(`, error="invalid_token", error_description="%s"`, strings.ReplaceAll(invalid, `"`, `'`))
	}
	w.Header().Set("WWW-Authenticate", v)
	msg := "a bearer token is required"
	if invalid != "" {
		msg = invalid
	}
	http.Error(w, msg, http.StatusUnauthorized)
}

// resourceCertificate makes a resource's TLS certificate, signed by the server's (a CA
// certificate), so that whatever trusts the server trusts its resources.
func (s *Server) resourceCertificate(host string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("entratest: generating a resource's TLS key: " + err.Error())
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic("entratest: generating a certificate serial: " + err.Error())
	}
	now := time.Now()
	names := []string{"localhost"}
	if host != "" {
		names = append(names, host)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"entratest"}, CommonName: "entratest resource"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.cert.Leaf, &key.PublicKey, s.cert.PrivateKey)
	if err != nil {
		panic("entratest: creating a resource's TLS certificate: " + err.Error())
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic("entratest: parsing a resource's TLS certificate: " + err.Error())
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}
