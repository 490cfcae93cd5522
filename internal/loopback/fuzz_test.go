package loopback

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const fuzzState = "st"

// FuzzCallback throws arbitrary requests at the handler: it must never
// panic, always answer with a valid status, and end the flow only for a
// request that carries the state, the right way.
//
//	go test -fuzz FuzzCallback ./internal/loopback/
func FuzzCallback(f *testing.F) {
	good := "code=c&state=" + fuzzState
	f.Add("POST", "/", "localhost:8400", "application/x-www-form-urlencoded", good)
	f.Add("GET", "/?"+good, "127.0.0.1:8400", "", "")
	f.Add("POST", "/", "[::1]:8400", "application/x-www-form-urlencoded; charset=utf-8", "error=access_denied&error_description=%3Cscript%3E&state="+fuzzState)
	f.Add("POST", "/", "localhost:8400", "application/x-www-form-urlencoded", "state="+fuzzState+"&state="+fuzzState+"&code=c")
	f.Add("GET", "/favicon.ico", "localhost:8400", "", "")
	f.Add("POST", "/", "evil:8400", "application/x-www-form-urlencoded", good)
	f.Add("POST", "/", "localhost:8400", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"state\"\r\n\r\nst\r\n--x--")
	f.Add("GET", "/?code=c&state=st;x", "localhost:8400", "", "")

	lim := defaultLimits
	lim.maxBody = 512
	f.Fuzz(func(t *testing.T, method, target, host, ctype, body string) {
		s, err := newServer(Config{State: fuzzState, RedirectURL: "http://localhost:8400", limits: &lim})
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			u = &url.URL{Path: target}
		}
		r := &http.Request{
			Method:     method,
			URL:        u,
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Host:       host,
			Header:     http.Header{"Content-Type": {ctype}},
			Body:       io.NopCloser(strings.NewReader(body)),
		}
		w := httptest.NewRecorder()
		s.serveHTTP(w, r)

		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("status %d", w.Code)
		}
		select {
		case <-s.done:
		default:
			return // still waiting: always acceptable
		}
		// The flow ended: the request must have been a valid response.
		params, err := url.ParseQuery(body)
		switch {
		case err != nil:
			t.Fatalf("ended on unparsable params %q", body)
		case !s.hostAllowed(host):
			t.Fatalf("ended with Host %q", host)
		case u.Path != "/":
			t.Fatalf("ended on path %q", u.Path)
		case method != "POST":
			t.Fatalf("ended on method %q", method)
		case len(params["state"]) != 1 || params.Get("state") != fuzzState:
			t.Fatalf("ended with state %q", params["state"])
		case s.resErr == nil && s.result.Code != params.Get("code"):
			t.Fatalf("code %q, want %q", s.result.Code, params.Get("code"))
		case s.resErr == nil && s.result.Code == "":
			t.Fatal("ended with an empty code")
		}
		if s.resErr == nil && strings.Contains(w.Body.String(), "code="+s.result.Code) {
			t.Fatal("the page echoes the code")
		}
	})
}
