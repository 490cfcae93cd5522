package loopback

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// serveHTTP answers every request. Only a form POST to the redirect path,
// with the right Host and state, ends the flow; anything else gets an error
// status and the server keeps waiting, because browsers, extensions and other
// local programs send all sorts of requests (favicons, prefetches, retries)
// that must not fail or hijack the sign-in.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.hostAllowed(r.Host) {
		s.refuse(w, r, http.StatusBadRequest, fmt.Sprintf("its Host header %q isn't this server", clip(r.Host)), noticeBadHost)
		return
	}
	if r.URL.Path != s.path {
		s.refuse(w, r, http.StatusNotFound, "not the redirect path", noticeNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.refuse(w, r, http.StatusMethodNotAllowed, "the sign-in response arrives by POST", noticeMethod)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.refuse(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q isn't a form", clip(mt)), noticeBadRequest)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.limits.maxBody)
	if err := r.ParseForm(); err != nil {
		status, why := http.StatusBadRequest, "malformed form body"
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			status, why = http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", mbe.Limit)
		}
		s.refuse(w, r, status, why, noticeBadRequest)
		return
	}
	// Only the body counts: response_mode=form_post never puts the code in
	// the URL.
	f := r.PostForm
	for _, k := range []string{"state", "code", "error", "error_description"} {
		if len(f[k]) > 1 {
			// Which copy the authorization server meant is ambiguous.
			s.refuse(w, r, http.StatusBadRequest, fmt.Sprintf("%q repeated", k), noticeBadRequest)
			return
		}
	}
	state, code, errCode := f.Get("state"), f.Get("code"), f.Get("error")
	why := ""
	switch {
	case state == "":
		why = `no "state"`
	case subtle.ConstantTimeCompare([]byte(state), []byte(s.cfg.State)) != 1:
		why = `"state" doesn't match this sign-in` // a stale tab, or a forgery
	case code == "" && errCode == "":
		why = `no "code" and no "error"`
	}
	if why != "" {
		s.refuse(w, r, http.StatusBadRequest, why, noticeBadRequest)
		return
	}
	if errCode != "" {
		re := &ResponseError{Code: errCode, Description: f.Get("error_description")}
		if s.deliver(Result{}, re) {
			s.cfg.Logf("received an error response: %q", clip(errCode))
			s.finish(w, r, re)
			return
		}
	} else if s.deliver(Result{Code: code}, nil) {
		s.cfg.Logf("received the authorization code")
		s.finish(w, r, nil)
		return
	}
	s.cfg.Logf("ignored %s %q: the sign-in already completed", clip(r.Method), clip(r.URL.Path))
	s.notice(w, http.StatusOK, noticeAlreadyDone)
}

// refuse answers a request that doesn't end the flow, and logs why.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, why string, n notice) {
	s.cfg.Logf("ignored %s %q (%d): %s", clip(r.Method), clip(r.URL.Path), status, why)
	s.notice(w, status, n)
}

// hostAllowed reports whether a Host header names a loopback host and the
// bound port. This defeats DNS rebinding: a page on attacker.example whose
// name re-resolves to 127.0.0.1 still sends "attacker.example" as Host.
func (s *Server) hostAllowed(h string) bool {
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port: the browser omits the default one.
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), "80"
	}
	return port == strconv.Itoa(s.port) && isLoopbackHost(strings.ToLower(host))
}

// clip shortens request-controlled text for logs.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
