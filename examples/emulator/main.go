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
	"context"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/azinteractive/azinteractive/entratest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "loopback address to serve HTTPS on")
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

func run(ctx context.Context, addr, certFile, approve string, quiet bool) (err error) {
	opts := &entratest.Options{Addr: addr, ApproveDeviceCodesAs: approve}
	if !quiet {
		opts.Logf = log.Printf // one line per request, never a secret
	}
	defer func() {
		// entratest panics on setup failures (a port in use, say), as
		// httptest does; here that is an error to report.
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	srv := entratest.NewServer(opts)
	defer srv.Close()
	// The certificate, not its key: the key never leaves this process, so the
	// file lets clients trust this server and nothing else.
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return err
	}
	printUsage(srv.URL(), certFile, approve)
	<-ctx.Done()
	log.Print("shutting down")
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
