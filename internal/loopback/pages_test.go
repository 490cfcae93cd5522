package loopback

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var nonceAttr = regexp.MustCompile(`nonce="([^"]+)"`)

// requireHeaders checks the headers every response carries, and that the
// page's nonces are the CSP's.
func requireHeaders(t *testing.T, r reply) {
	t.Helper()
	h := r.header
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	csp := h.Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.NotContains(t, csp, "unsafe-eval")
	for _, m := range nonceAttr.FindAllStringSubmatch(r.body, -1) {
		assert.Contains(t, csp, "'nonce-"+m[1]+"'")
	}
}

func TestBuiltinPages(t *testing.T) {
	t.Parallel()
	s := listen(t, Config{})

	notFound := do(t, s, "GET", "/favicon.ico", "", "", "")
	requireHeaders(t, notFound)
	assert.Contains(t, notFound.body, "<title>Not found</title>")

	ok := post(t, s, codeForm("the-code"))
	requireHeaders(t, ok)
	assert.Equal(t, "text/html; charset=utf-8", ok.header.Get("Content-Type"))
	body := ok.body
	for _, want := range []string{`<html lang="en">`, "<title>Signed in</title>", "<main>", `<h1 role="status">`, "window.close()", "You can close this tab and return to the application."} {
		assert.Contains(t, body, want)
	}
	assert.NotContains(t, body, "the-code", "the code never appears on the page")
	assert.NotContains(t, body, testState)
	assert.NotRegexp(t, `(src|href)=`, body, "self-contained: no external resources")
	assert.Less(t, len(body), 2048)
	assert.Len(t, nonceAttr.FindAllString(body, -1), 2, "the style and the script")
	first := nonceAttr.FindStringSubmatch(body)[1]
	again := post(t, s, codeForm("x"))
	assert.NotContains(t, again.body, first, "nonces are per response")
}

func TestBuiltinErrorPage(t *testing.T) {
	t.Parallel()
	s := listen(t, Config{})
	r := post(t, s, url.Values{"error": {"access_denied"}, "error_description": {"AADSTS65004: declined"}, "state": {testState}})
	requireHeaders(t, r)
	// access_denied is the user's Cancel: the page says so, not "failed".
	for _, want := range []string{`<html lang="en">`, "<title>Sign-in canceled</title>", "<main>", `<h1 role="alert">`, "access_denied", "AADSTS65004: declined", "try again"} {
		assert.Contains(t, r.body, want)
	}
	assert.NotContains(t, r.body, "failed")
	assert.NotRegexp(t, `(src|href)=`, r.body)

	s = listen(t, Config{})
	r = post(t, s, url.Values{"error": {"invalid_request"}, "error_description": {"AADSTS900144: no PKCE"}, "state": {testState}})
	assert.Contains(t, r.body, "<title>Sign-in failed</title>")
	assert.Contains(t, r.body, "AADSTS900144")
}

func TestCustomPages(t *testing.T) {
	t.Parallel()
	success := template.Must(template.New("s").Parse(`<p>Contoso: done</p><script nonce="{{.Nonce}}">window.close()</script>`))
	failure := template.Must(template.New("e").Parse(`<p>Contoso: {{.Error}} / {{.Description}}</p>`))

	s := listen(t, Config{SuccessHTML: success, ErrorHTML: failure})
	r := post(t, s, codeForm("c"))
	requireHeaders(t, r)
	assert.Contains(t, r.body, "Contoso: done")
	csp := r.header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "img-src https: data:", "custom pages may load branding")
	assert.NotContains(t, csp, "script-src https:", "but scripts only by nonce")

	s = listen(t, Config{SuccessHTML: success, ErrorHTML: failure})
	r = post(t, s, url.Values{"error": {"bad<i>"}, "error_description": {"<script>x()</script>"}, "state": {testState}})
	assert.Equal(t, "<p>Contoso: bad&lt;i&gt; / &lt;script&gt;x()&lt;/script&gt;</p>", r.body)
}

func TestBrokenCustomPageFallsBack(t *testing.T) {
	t.Parallel()
	broken := template.Must(template.New("b").Parse(`{{.NoSuchField}}`))
	var logs strings.Builder
	s := listen(t, Config{SuccessHTML: broken, Logf: func(f string, a ...any) { logs.WriteString(f) }})
	r := post(t, s, codeForm("c"))
	assert.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "You're signed in")
	assert.Equal(t, "default-src 'none'", strings.SplitN(r.header.Get("Content-Security-Policy"), ";", 2)[0])
	require.NoError(t, s.Close())
	assert.Contains(t, logs.String(), "custom")
}

func TestRedirectURLs(t *testing.T) {
	t.Parallel()
	cfg := Config{SuccessRedirectURL: "https://contoso.example/signed-in", ErrorRedirectURL: "https://contoso.example/failed?lang=en#top"}

	s := listen(t, cfg)
	r := post(t, s, codeForm("c"))
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, "https://contoso.example/signed-in", r.header.Get("Location"))
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	assert.NotContains(t, r.header.Get("Location"), "c&")

	s = listen(t, cfg)
	r = post(t, s, url.Values{"error": {"access_denied"}, "error_description": {"AADSTS65004: no & <thanks>"}, "state": {testState}})
	assert.Equal(t, http.StatusSeeOther, r.status)
	loc, err := url.Parse(r.header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "contoso.example", loc.Host)
	assert.Equal(t, "/failed", loc.Path)
	assert.Equal(t, "top", loc.Fragment)
	assert.Equal(t, url.Values{"lang": {"en"}, "error": {"access_denied"}, "error_description": {"AADSTS65004: no & <thanks>"}}, loc.Query())
	_, err = wait(t, s)
	var re *ResponseError
	require.ErrorAs(t, err, &re)
	assert.True(t, re.Cancelled())
}
