package loopback

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// DefaultRedirectURL is localhost on a random port, as in MSAL and Azure SDKs.
const DefaultRedirectURL = "http://localhost"

// Endpoint is a parsed loopback redirect URL.
type Endpoint struct {
	Host string // "localhost", "127.0.0.1" or "::1", lower case
	Port int    // 0 for a random free port
	Path string // escaped, as given; "" serves "/"
}

// ParseRedirectURL checks that raw ("" means [DefaultRedirectURL]) is
// http://, a loopback host (Entra ID matches it, though not the port), an
// optional port (0 or absent: random) and an optional path, and splits it.
// Its errors say why anything else isn't served.
func ParseRedirectURL(raw string) (Endpoint, error) {
	raw = cmp.Or(raw, DefaultRedirectURL)
	u, err := url.Parse(raw)
	if err != nil { // a *url.Error, which repeats raw
		return Endpoint{}, fmt.Errorf("redirect URL %q: %w", raw, errors.Unwrap(err))
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
