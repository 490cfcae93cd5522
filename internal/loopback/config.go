package loopback

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"
)

// Response modes: how the authorization server delivers its response.
const (
	// ResponseModeFormPost expects an HTML form POST to the redirect path, as
	// requested with response_mode=form_post. It keeps the code out of URLs,
	// browser history and Referer headers, and is what every MSAL uses.
	ResponseModeFormPost = "form_post"
	// ResponseModeQuery expects a GET to the redirect path with the response
	// in the query string (RFC 6749 §4.1.2).
	ResponseModeQuery = "query"
)

// DefaultMaxBodyBytes bounds a request body when [Config.MaxBodyBytes] is
// zero. Entra ID's form_post body (code, state, session_state, client_info) is
// a few KiB.
const DefaultMaxBodyBytes = 64 << 10

// Config describes the redirect server. The zero value is not usable: State
// is required. Listen copies the Config and never modifies the caller's.
type Config struct {
	// RedirectURL is the redirect URI registered for the application. "" means
	// [DefaultRedirectURL] ("http://localhost" on a random port). See
	// [ParseRedirectURL] for what is accepted.
	RedirectURL string

	// State is the OAuth state sent in the authorization request. Only a
	// response carrying it ends the flow. Required.
	State string

	// ResponseMode is [ResponseModeFormPost] (the default) or
	// [ResponseModeQuery], and must match the response_mode of the
	// authorization request.
	ResponseMode string

	// SuccessHTML, when set, replaces the built-in success page. It is
	// executed with a [PageData]. The page is served with a
	// Content-Security-Policy that allows images and fonts from https: and
	// data: URLs, stylesheets from https: URLs and inline styles, and inline
	// scripts only with nonce="{{.Nonce}}".
	SuccessHTML *template.Template

	// ErrorHTML, when set, replaces the built-in page shown when the
	// authorization server returns an error. It is executed with an
	// [ErrorPageData]; html/template escapes its fields. The
	// Content-Security-Policy is that of SuccessHTML.
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

	// MaxBodyBytes bounds a request body. Zero means [DefaultMaxBodyBytes].
	MaxBodyBytes int64

	// limits overrides the server's timeouts; tests shorten them.
	limits *limits
}

// withDefaults validates c and fills in the defaults, on the copy.
func (c Config) withDefaults() (Config, error) {
	if c.State == "" {
		return c, errors.New("a state is required")
	}
	switch c.ResponseMode {
	case "":
		c.ResponseMode = ResponseModeFormPost
	case ResponseModeFormPost, ResponseModeQuery:
	default:
		return c, fmt.Errorf("response mode %q isn't %q or %q", c.ResponseMode, ResponseModeFormPost, ResponseModeQuery)
	}
	for name, raw := range map[string]string{"SuccessRedirectURL": c.SuccessRedirectURL, "ErrorRedirectURL": c.ErrorRedirectURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("%s %q isn't an absolute http or https URL", name, raw)
		}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.limits == nil {
		c.limits = &defaultLimits
	}
	return c, nil
}
