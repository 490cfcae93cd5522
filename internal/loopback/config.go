package loopback

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"time"
)

// Config describes the redirect server. State is required. Listen copies the
// Config and never modifies the caller's.
type Config struct {
	// RedirectURL is the redirect URI registered for the application; see
	// [ParseRedirectURL]. "" means [DefaultRedirectURL].
	RedirectURL string

	// State is the OAuth state sent in the authorization request. Only a
	// response carrying it ends the flow.
	State string

	// SuccessHTML, when set, replaces the built-in success page. It is
	// executed with a [PageData] and served with a Content-Security-Policy
	// that allows images and fonts from https: and data: URLs, stylesheets
	// from https: URLs and inline styles, and inline scripts only with
	// nonce="{{.Nonce}}".
	SuccessHTML *template.Template

	// ErrorHTML, when set, replaces the built-in page shown when the
	// authorization server returns an error. It is executed with a
	// [PageData], under SuccessHTML's Content-Security-Policy.
	ErrorHTML *template.Template

	// SuccessRedirectURL, when set, sends the browser there (303 See Other)
	// after a successful sign-in instead of showing a page. It must be an
	// absolute http or https URL.
	SuccessRedirectURL string

	// ErrorRedirectURL, when set, sends the browser there (303 See Other)
	// when the authorization server returned an error, with "error" and
	// "error_description" added to its query. It must be an absolute http
	// or https URL.
	ErrorRedirectURL string

	// Logf receives diagnostics: stray requests and why they were refused,
	// which addresses were bound. It never receives the code or the state.
	// Nil means no logging.
	Logf func(format string, args ...any)

	// limits overrides defaultLimits; tests shorten them.
	limits *limits
}

// limits are far above what a browser delivering a form needs, and far below
// what would let a stuck or hostile client hold the sign-in (or Close)
// hostage.
type limits struct {
	readHeader    time.Duration // slowloris on headers
	read          time.Duration // whole request, including a trickled body
	write         time.Duration
	idle          time.Duration // keep-alive connections between requests
	shutdownGrace time.Duration // Close waits this long for in-flight responses
	maxHeader     int
	maxBody       int64
}

var defaultLimits = limits{
	readHeader:    5 * time.Second,
	read:          20 * time.Second,
	write:         20 * time.Second,
	idle:          30 * time.Second,
	shutdownGrace: time.Second,
	// Browsers send every cookie set for "localhost" (by any port's
	// application), so headers can be large; still 16 times below
	// net/http's default.
	maxHeader: 64 << 10,
	// Entra ID's form_post body (code, state, session_state, client_info)
	// is a few KiB.
	maxBody: 64 << 10,
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
	if c.limits == nil {
		c.limits = &defaultLimits
	}
	return c, nil
}
