package entratest

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one parsed template per page step. It is built once and never changed.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, step := range []string{stepPick, stepPassword, stepMFA, stepConsent, stepConfirm,
		stepDeviceCode, stepDeviceDone, stepFormPost, stepError} {
		m[step] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+step+".html"))
	}
	return m
}()

// pageData is what the page templates show.
type pageData struct {
	Step     string   // the page; names its template and the entratest-step meta tag
	Title    string   // the document title and heading
	Heading  string   // error pages: a heading under the title
	Message  string   // error pages: explanation
	Error    string   // an error to show above the form (role=alert)
	Action   string   // the URL forms post to
	Flow     string   // the sign-in flow ID, a hidden field
	AppName  string   // the application's display name
	Username string   // the account being signed in, or the login hint
	Locked   bool     // Username can't be changed on this page
	Accounts []string // the account picker's accounts
	MFACode  string   // the one-time code the MFA page displays (in place of an authenticator app)
	Scopes   []string // the consent page's permissions
	PostTo   string   // form_post: the redirect URI
	Fields   []field  // form_post: the response parameters
}

// field is a hidden form field.
type field struct{ Name, Value string }

// renderPage writes a sign-in page. Pages load nothing external; the only script is the
// form_post page's auto-submit.
func (s *Server) renderPage(w http.ResponseWriter, status int, pd pageData) {
	var buf bytes.Buffer
	if err := pages[pd.Step].ExecuteTemplate(&buf, "layout", pd); err != nil {
		panic("entratest: rendering page " + pd.Step + ": " + err.Error()) // a bug in a template
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderError writes an error page for an error that can't be sent to a redirect URI.
func (s *Server) renderError(w http.ResponseWriter, status int, eerr *entraError) {
	s.renderPage(w, status, pageData{
		Step:    stepError,
		Title:   "Sign in",
		Heading: "Sorry, but we're having trouble signing you in.",
		Message: eerr.description(),
	})
}
