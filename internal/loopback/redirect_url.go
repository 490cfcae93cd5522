package loopback

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultRedirectURL is the redirect URL used when [Config.RedirectURL] is
// empty: localhost on a random port, with no path, as MSAL and the Azure
// SDKs use.
const DefaultRedirectURL = "http://localhost"

// Endpoint is a parsed loopback redirect URL: what to bind and which path to
// serve.
type Endpoint struct {
	// Host is "localhost", "127.0.0.1" or "::1" (no brackets), lower case.
	Host string
	// Port is the fixed port, or 0 for a random free port.
	Port int
	// Path is the redirect URL's path exactly as given (escaped form); ""
	// when the URL had none, in which case the server serves "/".
	Path string
}

// ParseRedirectURL checks that raw is a redirect URL this package can serve
// and splits it into what to bind. An empty raw means [DefaultRedirectURL].
//
// Accepted: scheme http; host localhost, 127.0.0.1 or [::1]; an optional port
// (absent or 0 means random); an optional path. Rejected, with an error that
// says why: other schemes (https needs a certificate the browser would not
// trust), other hosts (the server would be reachable from the network, or the
// browser would go elsewhere; Entra ID matches the host of loopback redirect
// URIs, though not the port), user info, a query and a fragment (the
// authorization server appends its own query, and Entra ID rejects
// registrations with a fragment).
func ParseRedirectURL(raw string) (Endpoint, error) {
	if raw == "" {
		raw = DefaultRedirectURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error repeats raw
		}
		return Endpoint{}, fmt.Errorf("redirect URL %q: %w", raw, err)
	}
	bad := func(why string) (Endpoint, error) {
		return Endpoint{}, fmt.Errorf("redirect URL %q: %s", raw, why)
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case u.Scheme == "https":
		return bad(`https isn't supported: the local server speaks plain http, which Microsoft Entra ID allows for loopback redirect URIs; use "http://"`)
	case u.Scheme != "http":
		return bad(`the scheme must be "http"`)
	case u.Opaque != "":
		return bad(`it must look like "http://localhost:PORT/path"`)
	case u.User != nil:
		return bad("user info (name@ or name:password@) isn't allowed")
	case u.RawQuery != "" || u.ForceQuery:
		return bad("a query isn't allowed: the sign-in response arrives in the query or body")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("a fragment (#...) isn't allowed")
	case !isLoopbackHost(host):
		return bad(`the host must be "localhost", "127.0.0.1" or "[::1]", so that only this machine can deliver the sign-in response`)
	}
	port := 0
	if p := u.Port(); p != "" { // "http://localhost:" has an empty port: random
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return bad(fmt.Sprintf("port %q isn't a number from 0 to 65535", p))
		}
		port = int(n)
	}
	return Endpoint{Host: host, Port: port, Path: u.EscapedPath()}, nil
}

func isLoopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// redirectURI is the redirect_uri to send for port: the URL as the caller
// wrote it (host spelling aside), with the bound port filled in.
func (e Endpoint) redirectURI(port int) string {
	return "http://" + net.JoinHostPort(e.Host, strconv.Itoa(port)) + e.Path
}
