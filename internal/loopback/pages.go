package loopback

import (
	"bytes"
	"crypto/rand"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// The built-in pages are self-contained (no external resources, so nothing
// leaks to a third party and they render offline) and small.
//
//go:embed pages/*.html
var pageFS embed.FS

// builtinPages parses the pages on first use: most importers never show them.
var builtinPages = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(pageFS, "pages/*.html"))
})

// PageData is what [Config.SuccessHTML] and [Config.ErrorHTML] are executed
// with; html/template escapes its fields.
type PageData struct {
	Nonce       string // the CSP nonce: inline scripts run only with nonce="{{.Nonce}}"
	Error       string // for ErrorHTML: the OAuth error code, like "access_denied"
	Description string // the error_description; may be empty
	Canceled    bool   // the user canceled or declined (Error is "access_denied")
}

// notice is a page for a request that doesn't end the flow, or comes after.
type notice struct{ Title, Message string }

var (
	noticeBadHost     = notice{"Wrong address", "This server only answers requests addressed to localhost. This request isn't part of the sign-in."}
	noticeNotFound    = notice{"Not found", "This address isn't part of the sign-in."}
	noticeMethod      = notice{"Not part of the sign-in", "This request isn't the sign-in response the application is waiting for. Finish signing in in the tab the application opened."}
	noticeBadRequest  = notice{"Not part of the sign-in", "This request isn't a valid sign-in response for the application that is waiting. If you reloaded or reopened this page, return to the application and sign in again."}
	noticeAlreadyDone = notice{"Sign-in already completed", "This sign-in has already finished. You can close this tab and return to the application."}
)

// Content-Security-Policies: custom pages may also load branding over https;
// neither runs a script without the nonce, so injected text can't execute.
const (
	cspBuiltin = "default-src 'none'; style-src 'nonce-%[1]s'; script-src 'nonce-%[1]s'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	cspCustom  = "default-src 'none'; img-src https: data:; font-src https: data:; style-src https: 'unsafe-inline'; script-src 'nonce-%[1]s'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

// setHeaders marks every response as private and inert.
func setHeaders(h http.Header, csp, nonce string) {
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", fmt.Sprintf(csp, nonce))
}

// finish shows the outcome: a redirect when configured, else a page. An
// error page is sent with 200, so that the browser shows it, and doesn't
// close itself, so that the user can read it.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, re *ResponseError) {
	to, custom, name := s.cfg.SuccessRedirectURL, s.cfg.SuccessHTML, "success.html"
	data := PageData{Nonce: rand.Text()}
	if re != nil {
		to, custom, name = s.cfg.ErrorRedirectURL, s.cfg.ErrorHTML, "error.html"
		data.Error, data.Description, data.Canceled = re.Code, re.Description, re.Cancelled()
		if to != "" {
			u, _ := url.Parse(to) // validated by newServer
			q := u.Query()
			q.Set("error", re.Code)
			q.Set("error_description", re.Description)
			u.RawQuery = q.Encode()
			to = u.String()
		}
	}
	if to != "" {
		setHeaders(w.Header(), cspBuiltin, data.Nonce)
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, custom, name, data, data.Nonce)
}

// render executes custom, or the built-in page name when custom is nil or
// fails, into a buffer, so that a failing template can't send half a page.
func (s *Server) render(w http.ResponseWriter, status int, custom *template.Template, name string, data any, nonce string) {
	var buf bytes.Buffer
	csp := cspBuiltin
	if custom != nil {
		if err := custom.Execute(&buf, data); err == nil {
			csp = cspCustom
		} else {
			s.cfg.Logf("the custom %s failed, using the built-in page: %v", name, err)
			buf.Reset()
		}
	}
	if csp == cspBuiltin {
		if err := builtinPages().ExecuteTemplate(&buf, name, data); err != nil {
			s.cfg.Logf("the built-in %s failed: %v", name, err) // a bug: they are tested
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
	}
	setHeaders(w.Header(), csp, nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
