// Command emulator serves entratest, a local Microsoft Entra ID, on a fixed
// address until interrupted, so that any program (the other examples, your
// own, a script) can sign in to it, and a person can sign in on its pages.
//
//	go run ./examples/emulator                           # https://127.0.0.1:8443
//	go run ./examples/emulator -approve alice@contoso.com  # device codes approve themselves
//
// It writes its TLS certificate, made for this run, to a PEM file (-cert)
// for clients to trust. Point a credential at it with
// ClientOptions.Cloud.ActiveDirectoryAuthorityHost = "https://127.0.0.1:8443/",
// a transport trusting that certificate, and DisableInstanceDiscovery; the
// other examples do that with -authority-host and -ca-file.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/azinteractive/azinteractive/entratest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "address to serve HTTPS on")
	certFile := flag.String("cert", filepath.Join(os.TempDir(), "entratest-emulator.pem"), "file to write the TLS certificate to (PEM), for clients to trust")
	approve := flag.String("approve", "", "approve every device code as this user as soon as it is issued (for unattended runs); empty: a person signs in at /devicelogin")
	quiet := flag.Bool("quiet", false, "don't log requests")
	flag.Parse()
	log.SetFlags(log.Ltime)
	log.SetPrefix("emulator: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *addr, *certFile, *approve, *quiet)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, certFile, approve string, quiet bool) error {
	opts := &entratest.Options{}
	if !quiet {
		opts.Logf = log.Printf // one line per request, never a secret
	}
	// entratest.Server is an http.Handler that builds every URL in its
	// responses from the request's Host, so it can be mounted on a server of
	// our own, at an address of our choosing. It is never started: its own
	// listener, on a random port, stays idle.
	srv := entratest.NewUnstartedServer(opts)
	defer srv.Close()
	var handler http.Handler = srv
	if approve != "" {
		handler = &approver{srv: srv, user: approve}
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	cert, certPEM, err := newCertificate(host)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil { // a certificate, not its key
		return err
	}
	hs := &http.Server{
		Handler:           handler,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.Default(),
	}
	base := "https://" + ln.Addr().String()
	printUsage(base, certFile, approve)

	served := make(chan error, 1)
	go func() { served <- hs.ServeTLS(ln, "", "") }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Print("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func printUsage(base, certFile, approve string) {
	devicecode := "a person signs in at " + base + "/devicelogin"
	if approve != "" {
		devicecode = "approved at once as " + approve + " (-approve)"
	}
	fmt.Printf(`entratest, a local Microsoft Entra ID, is serving %[1]s

  authority       %[1]s/organizations   (or /%[2]s, /%[3]s, /common)
  certificate     %[4]s   (PEM; new every run: trust it in your client)
  user            %[5]s   password %[6]s
  application     %[7]s   (public client, redirect URI http://localhost)
  device codes    %[8]s

Sign in to it from the other examples (in another terminal):

  go run ./examples/devicecode -authority-host %[1]s/ -ca-file %[4]s
  go run ./examples/browser    -authority-host %[1]s/ -ca-file %[4]s
  AZURE_USERNAME=%[5]s AZURE_PASSWORD=%[6]s \
    go run ./examples/usernamepassword -authority-host %[1]s/ -ca-file %[4]s

From your own program: a credential with
  ClientOptions.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: "%[1]s/"}
  ClientOptions.Transport = an *http.Client whose TLS config trusts %[4]s
  DisableInstanceDiscovery = true   (Entra ID's instance discovery doesn't know this host)
(On Linux, SSL_CERT_FILE=%[4]s makes Go programs trust it without code.)

Press Ctrl-C to stop.

`, base, entratest.DefaultTenantID, entratest.DefaultTenantDomain, certFile,
		entratest.DefaultUsername, entratest.DefaultPassword, entratest.DefaultClientID, devicecode)
}

// approver approves each device code entratest issues as one user, before
// the client sees the code, so the client's first poll gets tokens.
type approver struct {
	srv  *entratest.Server
	user string
}

func (a *approver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(strings.ToLower(r.URL.Path), "/oauth2/v2.0/devicecode") {
		a.srv.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	a.srv.ServeHTTP(rec, r)
	var body struct {
		UserCode string `json:"user_code"`
	}
	if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &body) == nil && body.UserCode != "" {
		if err := a.srv.ApproveDeviceCode(body.UserCode, a.user); err != nil {
			log.Printf("approving device code %s as %s: %v", body.UserCode, a.user, err)
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = bytes.NewReader(rec.Body.Bytes()).WriteTo(w)
}

// newCertificate makes a self-signed certificate for the loopback names and
// host, valid for a week. Clients trust it as a root, so its key never
// leaves this process: a key on disk would let anyone who reads it
// impersonate any site to a machine that trusts the certificate.
func newCertificate(host string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"entratest"}, CommonName: "entratest emulator"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() && !ip.IsUnspecified() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}
