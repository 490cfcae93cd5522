package entratest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Browser returns a stand-in browser for an interactive sign-in, suitable for MSAL's
// WithOpenURL and the credentials' browser hook. Given an authorize URL, it does what a
// person with a browser would: it loads the page, picks username on the account picker (or
// chooses "Use another account"), enters username and password, types the one-time code
// shown on the MFA page, accepts the consent page, and finally delivers the response to
// the redirect URI the way a browser does, by submitting the form_post form (a POST to
// http://localhost:PORT/...) or following the redirect (query mode). It returns once the
// redirect URI has answered.
//
// The browser is synchronous: it returns after the application's loopback server
// responded to the delivery, so the caller must already be listening, and its loopback
// server must answer without waiting for the caller to return (MSAL's does). It honors
// ctx. All stand-in browsers of a Server share one cookie jar, so a second sign-in sees the
// first one's session on the account picker, as in a real browser.
//
// It returns an error, also recorded in BrowserErrors, when sign-in can't complete: an
// error page (unknown client, unregistered redirect URI), a rejected password (the page
// offers a retry, but the stand-in knows only one password), or a failed delivery (status
// 400 or above). An error the emulator sends to the redirect URI, like a rejected scope,
// is delivered and isn't an error of the browser.
func (s *Server) Browser(username, password string) func(ctx context.Context, authorizeURL string) error {
	return func(ctx context.Context, authorizeURL string) error {
		b := &browser{s: s, username: username, password: password}
		return b.run(ctx, authorizeURL)
	}
}

// CancelBrowser returns a stand-in browser whose user presses Cancel on the first sign-in
// page. Entra ID then sends error=access_denied (AADSTS65004, error_subcode=cancel) with
// the request's state to the redirect URI, which the browser delivers. See [Server.Browser].
func (s *Server) CancelBrowser() func(ctx context.Context, authorizeURL string) error {
	return func(ctx context.Context, authorizeURL string) error {
		b := &browser{s: s, cancel: true}
		return b.run(ctx, authorizeURL)
	}
}

// DeviceBrowser returns a stand-in browser for the device code flow's verification page:
// it opens verificationURL (the verification_uri of the device code response, or URL() +
// "/devicelogin"), enters userCode, confirms the application, and signs in as
// [Server.Browser] does. It returns once the page says the device is signed in. Use it in a
// credential's device code prompt to exercise the pages; ApproveDeviceCode does the same
// without them.
func (s *Server) DeviceBrowser(username, password string) func(ctx context.Context, verificationURL, userCode string) error {
	return func(ctx context.Context, verificationURL, userCode string) error {
		b := &browser{s: s, username: username, password: password, userCode: userCode}
		return b.run(ctx, verificationURL)
	}
}

// DeviceCancelBrowser is like [Server.DeviceBrowser] but its user enters userCode and then
// presses Cancel, declining the sign-in. The next poll gets authorization_declined.
func (s *Server) DeviceCancelBrowser() func(ctx context.Context, verificationURL, userCode string) error {
	return func(ctx context.Context, verificationURL, userCode string) error {
		b := &browser{s: s, cancel: true, userCode: userCode}
		return b.run(ctx, verificationURL)
	}
}

// maxBrowserSteps bounds the pages one sign-in may take.
const maxBrowserSteps = 20

// browser is one stand-in browser run.
type browser struct {
	s                  *Server
	username, password string
	cancel             bool   // press Cancel on the first page that has one
	userCode           string // the device code page's code
	origin             string // scheme://host of the first URL: the identity provider
}

func (b *browser) run(ctx context.Context, start string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("entratest: browser: %w", err)
			b.s.recordBrowserError(err)
		}
	}()
	u, err := url.Parse(start)
	if err != nil {
		return fmt.Errorf("bad start URL: %w", err)
	}
	b.origin = u.Scheme + "://" + u.Host
	client := &http.Client{
		Transport: &routingTransport{s: b.s, base: b.s.mustTransport()},
		Jar:       b.s.browserJar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // followed below, to tell the redirect URI apart
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, start, nil)
	if err != nil {
		return err
	}
	for range maxBrowserSteps {
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("%s %s: %w", req.Method, redactURL(req.URL), err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s %s: reading response: %w", req.Method, redactURL(req.URL), err)
		}
		if !b.isIdentityProvider(req.URL) {
			// The response of the application's redirect URI: the sign-in is over.
			if resp.StatusCode >= 400 {
				return fmt.Errorf("the redirect URI %s answered %s: %s", redactURL(req.URL), resp.Status, snippet(body))
			}
			b.s.logf("browser: delivered the response to %s (%d)", redactURL(req.URL), resp.StatusCode)
			return nil
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
			next, err := req.URL.Parse(loc)
			if err != nil {
				return fmt.Errorf("bad redirect: %w", err)
			}
			if req, err = http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil); err != nil {
				return err
			}
			continue
		}
		pg, err := parsePage(body)
		if err != nil || pg.step == "" {
			return fmt.Errorf("%s %s answered %s with no sign-in page: %s", req.Method, redactURL(req.URL), resp.Status, snippet(body))
		}
		b.s.logf("browser: page %q", pg.step)
		next, done, err := b.act(pg)
		if err != nil || done {
			return err
		}
		if req, err = next.request(ctx, req.URL); err != nil {
			return err
		}
	}
	return fmt.Errorf("sign-in didn't finish within %d pages", maxBrowserSteps)
}

func (b *browser) isIdentityProvider(u *url.URL) bool {
	return strings.EqualFold(u.Scheme+"://"+u.Host, b.origin)
}

// act decides what the person does on a page: the form submission to make, or done.
func (b *browser) act(pg *htmlPage) (sub *submission, done bool, err error) {
	if b.cancel {
		if f := pg.formWithButton("action", "cancel"); f != nil {
			return f.submit("action", "cancel"), false, nil
		}
	}
	switch pg.step {
	case stepPick:
		for _, f := range pg.forms {
			if f.values.Get("action") == "pick" && strings.EqualFold(f.values.Get("username"), b.username) {
				return f.submit("", ""), false, nil
			}
		}
		if f := pg.formWithButton("action", "other"); f != nil {
			return f.submit("action", "other"), false, nil
		}
	case stepPassword:
		if pg.errText != "" {
			return nil, false, fmt.Errorf("sign-in as %s failed: %s", b.username, pg.errText)
		}
		if f := pg.formWithButton("action", "signin"); f != nil {
			if !f.readonly["username"] {
				f.values.Set("username", b.username)
			}
			f.values.Set("password", b.password)
			return f.submit("action", "signin"), false, nil
		}
	case stepMFA:
		if pg.errText != "" {
			return nil, false, fmt.Errorf("second factor failed: %s", pg.errText)
		}
		if f := pg.formWithButton("action", "mfa"); f != nil {
			f.values.Set("otc", pg.mfaCode)
			return f.submit("action", "mfa"), false, nil
		}
	case stepConsent:
		if f := pg.formWithButton("action", "accept"); f != nil {
			return f.submit("action", "accept"), false, nil
		}
	case stepConfirm:
		if f := pg.formWithButton("action", "continue"); f != nil {
			return f.submit("action", "continue"), false, nil
		}
	case stepDeviceCode:
		if pg.errText != "" {
			return nil, false, fmt.Errorf("the verification page rejected the code: %s", pg.errText)
		}
		if len(pg.forms) > 0 {
			f := pg.forms[0]
			f.values.Set("user_code", b.userCode)
			return f.submit("", ""), false, nil
		}
	case stepDeviceDone:
		return nil, true, nil
	case stepFormPost:
		if len(pg.forms) > 0 {
			return pg.forms[0].submit("", ""), false, nil // what the page's script does
		}
	case stepError:
		if b.cancel && b.userCode != "" {
			return nil, true, nil // a canceled device sign-in ends on this page
		}
		return nil, false, fmt.Errorf("sign-in error page: %s", pg.message)
	}
	return nil, false, fmt.Errorf("don't know what to do on the %q page", pg.step)
}

// submission is a form submission.
type submission struct {
	method, action string
	values         url.Values
}

func (sub *submission) request(ctx context.Context, base *url.URL) (*http.Request, error) {
	target, err := base.Parse(sub.action)
	if err != nil {
		return nil, fmt.Errorf("bad form action: %w", err)
	}
	if sub.method != http.MethodPost {
		target.RawQuery = sub.values.Encode()
		return http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(sub.values.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// htmlPage is what the stand-in browser reads from a page.
type htmlPage struct {
	step    string // <meta name="entratest-step">
	errText string // #error
	mfaCode string // #mfa-code
	message string // #message
	forms   []*htmlForm
}

// htmlForm is a form and its controls.
type htmlForm struct {
	action, method string
	values         url.Values      // the hidden and prefilled inputs
	readonly       map[string]bool // readonly inputs
	buttons        [][2]string     // submit buttons: name, value
}

func (pg *htmlPage) formWithButton(name, value string) *htmlForm {
	for _, f := range pg.forms {
		for _, b := range f.buttons {
			if b[0] == name && b[1] == value {
				return f
			}
		}
	}
	return nil
}

// submit submits the form with the named button (none if name is "").
func (f *htmlForm) submit(name, value string) *submission {
	v := cloneValues(f.values)
	if name != "" {
		v.Set(name, value)
	}
	return &submission{method: f.method, action: f.action, values: v}
}

// parsePage extracts the step, messages and forms of a page.
func parsePage(body []byte) (*htmlPage, error) {
	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	pg := &htmlPage{}
	var walk func(n *html.Node, form *htmlForm)
	walk = func(n *html.Node, form *htmlForm) {
		if n.Type == html.ElementNode {
			switch attr(n, "id") {
			case "error":
				pg.errText = text(n)
			case "mfa-code":
				pg.mfaCode = text(n)
			case "message":
				pg.message = text(n)
			}
			switch n.Data {
			case "meta":
				if attr(n, "name") == "entratest-step" {
					pg.step = attr(n, "content")
				}
			case "form":
				form = &htmlForm{action: attr(n, "action"), method: strings.ToUpper(attr(n, "method")),
					values: url.Values{}, readonly: map[string]bool{}}
				if form.method == "" {
					form.method = http.MethodGet
				}
				pg.forms = append(pg.forms, form)
			case "input":
				if form != nil && attr(n, "name") != "" {
					name := attr(n, "name")
					form.values.Set(name, attr(n, "value"))
					if hasAttr(n, "readonly") {
						form.readonly[name] = true
					}
				}
			case "button":
				if form != nil && attr(n, "type") != "button" {
					form.buttons = append(form.buttons, [2]string{attr(n, "name"), attr(n, "value")})
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, form)
		}
	}
	walk(doc, nil)
	return pg, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// redactURL drops the query and fragment, which may hold codes, from a URL for messages.
func redactURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment, c.User = "", "", nil
	return c.String()
}

// snippet returns the start of a response body for an error message.
func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
