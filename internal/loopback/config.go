package loopback

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"time"
)

// Config describes the redirect server. State is required.
type Config struct {
	// RedirectURL is the redirect URI registered for the application; see
	// [ParseRedirectURL]. "" means [DefaultRedirectURL].
	RedirectURL string

	// State is the OAuth state sent; only a response carrying it ends the flow.
	State string

	// SuccessHTML and ErrorHTML, when set, replace the built-in pages. Executed
	// with a [PageData], they may load images, fonts and stylesheets over
	// https, but run inline scripts only with nonce="{{.Nonce}}".
	SuccessHTML, ErrorHTML *template.Template

	// SuccessRedirectURL and ErrorRedirectURL, when set, are absolute http
	// or https URLs to send the browser to instead of showing a page, the
	// latter with "error" and "error_description" added to its query.
	SuccessRedirectURL, ErrorRedirectURL string

	// Logf, when set, receives diagnostics (never the code or the state):
	// which addresses were bound, which requests were refused and why.
	Logf func(format string, args ...any)

	limits *limits // nil means defaultLimits; tests shorten them
}

// limits are far above what a browser delivering a form needs, and far below
// what would let a stuck or hostile client hold the sign-in or Close hostage.
type limits struct {
	readHeader, read, write, idle time.Duration // of http.Server
	shutdownGrace                 time.Duration // Close waits this long for in-flight responses
	maxHeader                     int
	maxBody                       int64
}

var defaultLimits = limits{
	readHeader:    5 * time.Second, // slowloris
	read:          20 * time.Second,
	write:         20 * time.Second,
	idle:          30 * time.Second,
	shutdownGrace: time.Second,
	// Browsers send every cookie set for "localhost" (by any port's
	// application); still 16 times below net/http's default.
	maxHeader: 64 << 10,
	maxBody:   64 << 10, // Entra ID's form_post body is a few KiB
}

// withDefaults validates c and fills in the defaults, on the copy.
func (c Config) withDefaults() (Config, error) {
	if c.State == "" {
		return c, errors.New("a state is required")
	}
	for name, raw := range map[string]string{"SuccessRedirectURL": c.SuccessRedirectURL, "ErrorRedirectURL": c.ErrorRedirectURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("%s %q isn't an absolute http or https URL", name, raw)
		}
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	c.limits = cmp.Or(c.limits, &defaultLimits)
	return c, nil
}
