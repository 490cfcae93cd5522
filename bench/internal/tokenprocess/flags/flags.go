// Package flags holds what the token programs of BenchmarkSecondProcess
// share: their flags and the client that reaches the benchmark's entratest
// server.
package flags

import (
	"flag"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/azinteractive/azinteractive/bench/internal/loopclient"
)

// Flags are a token program's options.
type Flags struct {
	// ServerURL is the entratest server's base URL.
	ServerURL string
	// CAFile is the server's certificate, PEM.
	CAFile string
	// RecordFile is the AuthenticationRecord of the signed-in user, JSON.
	RecordFile string
	// CacheName and CacheDir locate the persistent cache.
	CacheName, CacheDir string
	// Plaintext asks azinteractive for its plaintext cache.
	Plaintext bool
	// Public makes the authority the public cloud's
	// (login.microsoftonline.com, which the client sends to the server)
	// rather than the server's own host.
	Public bool
	// Scope is the scope to get a token for.
	Scope string
}

// Parse parses the command line.
func Parse() *Flags {
	f := &Flags{}
	flag.StringVar(&f.ServerURL, "server", "", "entratest server URL")
	flag.StringVar(&f.CAFile, "ca-file", "", "the server's certificate (PEM)")
	flag.StringVar(&f.RecordFile, "record", "", "AuthenticationRecord JSON file")
	flag.StringVar(&f.CacheName, "cache-name", "", "persistent cache name")
	flag.StringVar(&f.CacheDir, "cache-dir", "", "persistent cache directory (azinteractive)")
	flag.BoolVar(&f.Plaintext, "plaintext", false, "azinteractive: the plaintext cache")
	flag.BoolVar(&f.Public, "public", false, "the public cloud's authority, login.microsoftonline.com")
	flag.StringVar(&f.Scope, "scope", "https://management.azure.com/.default", "scope")
	flag.Parse()
	return f
}

// Options returns client options that reach the server, and the client,
// whose request count the program prints.
func (f *Flags) Options() (azcore.ClientOptions, *loopclient.Client, error) {
	pem, err := os.ReadFile(f.CAFile)
	if err != nil {
		return azcore.ClientOptions{}, nil, err
	}
	c, err := loopclient.New(f.ServerURL, pem)
	if err != nil {
		return azcore.ClientOptions{}, nil, err
	}
	cfg := cloud.Configuration{ActiveDirectoryAuthorityHost: f.ServerURL + "/"}
	if f.Public {
		cfg = cloud.AzurePublic
	}
	return azcore.ClientOptions{Transport: c.Client, Cloud: cfg}, c, nil
}

// Fail prints err and exits.
func Fail(err error) {
	fmt.Fprintln(os.Stderr, "token program:", err)
	os.Exit(1)
}
