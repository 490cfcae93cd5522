// Package offline gives the example programs their two ways to run: against
// Microsoft Entra ID, or with -offline against an entratest server started
// inside the program, so that every example runs on a machine with no
// network and no Azure account. It also holds the little printing the
// examples share. It is for the examples only.
package offline

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
)

// Flags are the command-line options every example takes.
type Flags struct {
	// Offline signs in to an entratest server started in the process.
	Offline bool
	// TenantID is the tenant to sign in to; empty means "organizations".
	TenantID string
	// ClientID is the application; empty means the Azure development
	// application the credentials use by default.
	ClientID string
	// AuthorityHost replaces login.microsoftonline.com: a national cloud, or
	// the emulator of examples/emulator.
	AuthorityHost string
	// CAFile is a PEM certificate to trust besides the system's, such as the
	// one examples/emulator writes.
	CAFile string
	// Scope is the scope of the token the example asks for.
	Scope string
}

// Register defines the common flags on fs and returns where their values go.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.BoolVar(&f.Offline, "offline", false, "sign in to a local Microsoft Entra ID (entratest) started in this program, instead of Entra ID")
	fs.StringVar(&f.TenantID, "tenant", "", `tenant ID or domain (default "organizations": any work or school account)`)
	fs.StringVar(&f.ClientID, "client-id", "", "application (client) ID (default: the Azure development application "+entratest.DefaultClientID+")")
	fs.StringVar(&f.AuthorityHost, "authority-host", "", "Entra ID host, e.g. https://login.microsoftonline.us/ or the emulator's https://127.0.0.1:8443/ (default: public cloud)")
	fs.StringVar(&f.CAFile, "ca-file", "", "PEM certificate to trust, e.g. the one examples/emulator writes")
	fs.StringVar(&f.Scope, "scope", "https://management.azure.com/.default", "scope of the token to ask for")
	return f
}

// Env is where an example signs in: the options its credential needs.
type Env struct {
	// Server is the in-process Entra ID of -offline; nil otherwise.
	Server *entratest.Server
	// ClientOptions carry the transport and cloud for the credential.
	ClientOptions azcore.ClientOptions
	// TenantID and ClientID are the credential options of the same names.
	TenantID, ClientID string
	// DisableInstanceDiscovery is set for an emulator on loopback, which
	// Entra ID's instance discovery doesn't know.
	DisableInstanceDiscovery bool
	// Scopes is the scope the example asks a token for.
	Scopes []string
	// User is who signs in: entratest's user with -offline, else unknown.
	User string
}

// Env starts what the flags ask for. The caller must call Close.
func (f *Flags) Env() (*Env, error) {
	e := &Env{TenantID: f.TenantID, ClientID: f.ClientID, Scopes: []string{f.Scope}}
	if f.Offline {
		if f.AuthorityHost != "" || f.CAFile != "" {
			return nil, errors.New("-offline starts its own Entra ID: it doesn't take -authority-host or -ca-file")
		}
		e.Server = entratest.NewServer(nil)
		// Client() trusts the server's certificate; Cloud() names it as the authority host.
		e.ClientOptions = azcore.ClientOptions{Transport: e.Server.Client(), Cloud: e.Server.Cloud()}
		e.User = entratest.DefaultUsername
		return e, nil
	}
	if f.AuthorityHost != "" {
		u, err := url.Parse(f.AuthorityHost)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("-authority-host %q: want an https URL like https://login.microsoftonline.us/", f.AuthorityHost)
		}
		e.ClientOptions.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: f.AuthorityHost}
		// MSAL asks login.microsoftonline.com to vouch for authority hosts it
		// doesn't know; Entra ID knows nothing of an emulator on this machine.
		e.DisableInstanceDiscovery = isLoopback(u.Hostname())
	}
	if f.CAFile != "" {
		t, err := trusting(f.CAFile)
		if err != nil {
			return nil, err
		}
		e.ClientOptions.Transport = t
	}
	return e, nil
}

// Close stops the in-process server, if any.
func (e *Env) Close() {
	if e.Server != nil {
		e.Server.Close()
	}
}

// ApprovingPrompt is a device code prompt for -offline: it shows the
// message, as the default prompt would, then approves the code as
// entratest's user, who would otherwise have to open the page and sign in.
func (e *Env) ApprovingPrompt(w io.Writer) func(context.Context, azinteractive.DeviceCodeMessage) error {
	return func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
		_, _ = fmt.Fprintln(w, m.Message)
		_, _ = fmt.Fprintf(w, "(entratest approves the code as %s, as if they had signed in on that page)\n", e.User)
		return e.Server.ApproveDeviceCode(m.UserCode, e.User)
	}
}

// SignInHint tells a person signing in to the in-process server how to. The
// password is entratest's published default, not a secret of anyone's.
func (e *Env) SignInHint(w io.Writer) {
	_, _ = fmt.Fprintf(w, "Sign in as %s with the password %s. Your browser will warn about entratest's\n"+
		"self-signed certificate for %s: it is made for this run; accept it.\n",
		entratest.DefaultUsername, entratest.DefaultPassword, e.Server.URL())
}

// trusting returns a client trusting the system's roots and the PEM
// certificates in file.
func trusting(file string) (*http.Client, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("-ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-ca-file %s: no PEM certificate in it", file)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
