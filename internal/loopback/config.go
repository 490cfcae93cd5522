package loopback

import (
	"html/template"
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
