package loopback

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// serveHTTP answers every request. Only this sign-in's response ends the
// flow; anything else gets an error status and the server waits on: browsers,
// extensions and local programs send requests (favicons, prefetches, retries)
// that must not fail or hijack it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	status, why, n := s.check(w, r)
	if status == 0 {
		f := r.PostForm
		if errCode := f.Get("error"); errCode != "" {
			re := &ResponseError{Code: errCode, Description: f.Get("error_description")}
			if s.deliver(Result{}, re) {
				s.cfg.Logf("received an error response: %q", clip(errCode))
				s.finish(w, r, re)
				return
			}
		} else if s.deliver(Result{Code: f.Get("code")}, nil) {
			s.cfg.Logf("received the authorization code")
			s.finish(w, r, nil)
			return
		}
		status, why, n = http.StatusOK, "the sign-in already completed", noticeAlreadyDone
	}
	s.cfg.Logf("ignored %s %q (%d): %s", clip(r.Method), clip(r.URL.Path), status, why)
	nonce := rand.Text()
	s.render(w, status, nil, "notice.html", struct{ Title, Message, Nonce string }{n.Title, n.Message, nonce}, nonce)
}

// check parses r's form and returns why r isn't this sign-in's response, or
// a zero status when it is.
func (s *Server) check(w http.ResponseWriter, r *http.Request) (status int, why string, n notice) {
	if !s.hostAllowed(r.Host) {
		return http.StatusBadRequest, fmt.Sprintf("its Host header %q isn't this server", clip(r.Host)), noticeBadHost
	}
	if r.URL.Path != s.path {
		return http.StatusNotFound, "not the redirect path", noticeNotFound
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, "the sign-in response arrives by POST", noticeMethod
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q isn't a form", clip(mt)), noticeBadRequest
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.limits.maxBody)
	if err := r.ParseForm(); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", mbe.Limit), noticeBadRequest
		}
		return http.StatusBadRequest, "malformed form body", noticeBadRequest
	}
	// Only the body counts: form_post never puts the code in the URL.
	f := r.PostForm
	for _, k := range []string{"state", "code", "error", "error_description"} {
		if len(f[k]) > 1 { // which copy the server meant is ambiguous
			return http.StatusBadRequest, fmt.Sprintf("%q repeated", k), noticeBadRequest
		}
	}
	switch state := f.Get("state"); {
	case state == "":
		return http.StatusBadRequest, `no "state"`, noticeBadRequest
	case subtle.ConstantTimeCompare([]byte(state), []byte(s.cfg.State)) != 1: // a stale tab, or a forgery
		return http.StatusBadRequest, `"state" doesn't match this sign-in`, noticeBadRequest
	case f.Get("code") == "" && f.Get("error") == "":
		return http.StatusBadRequest, `no "code" and no "error"`, noticeBadRequest
	}
	return 0, "", notice{}
}

// hostAllowed reports whether a Host header names a loopback host and the
// bound port, against DNS rebinding: a page on attacker.example whose name
// re-resolves to 127.0.0.1 still sends "attacker.example".
func (s *Server) hostAllowed(h string) bool {
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port: the browser omits the default one.
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), "80"
	}
	return port == strconv.Itoa(s.ep.Port) && isLoopbackHost(strings.ToLower(host))
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
