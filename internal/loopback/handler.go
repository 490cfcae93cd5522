package loopback

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
)

// serveHTTP answers every request. Only a request to the redirect path, with
// the right method, Host and state, ends the flow; anything else gets an
// error status and the server keeps waiting, because browsers, extensions and
// other local programs send all sorts of requests (favicons, prefetches,
// retries) that must not fail or hijack the sign-in.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.hostAllowed(r.Host) {
		// A page on another origin whose name resolves to 127.0.0.1 (DNS
		// rebinding) would send its own Host header.
		s.refuse(w, r, http.StatusBadRequest, fmt.Sprintf("its Host header %q isn't this server", clip(r.Host)), noticeBadHost)
		return
	}
	if r.URL.Path != s.path {
		s.refuse(w, r, http.StatusNotFound, "not the redirect path", noticeNotFound)
		return
	}
	method := http.MethodPost
	if s.cfg.ResponseMode == ResponseModeQuery {
		method = http.MethodGet
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		s.refuse(w, r, http.StatusMethodNotAllowed, "the sign-in response arrives by "+method, noticeMethod)
		return
	}
	params, status, err := s.params(w, r)
	if err != nil {
		s.refuse(w, r, status, err.Error(), noticeBadRequest)
		return
	}
	state, err := single(params, "state")
	if err == nil && state == "" {
		err = errors.New(`no "state"`)
	}
	if err == nil && subtle.ConstantTimeCompare([]byte(state), []byte(s.cfg.State)) != 1 {
		// Not this sign-in's response: a stale tab, or a forgery.
		err = errors.New(`"state" doesn't match this sign-in`)
	}
	if err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error(), noticeBadRequest)
		return
	}
	s.respond(w, r, params)
}

// respond handles a response that carries this sign-in's state.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, params url.Values) {
	errCode, err1 := single(params, "error")
	desc, err2 := single(params, "error_description")
	code, err3 := single(params, "code")
	if err := errors.Join(err1, err2, err3); err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error(), noticeBadRequest)
		return
	}
	if errCode != "" {
		re := &ResponseError{Code: errCode, Description: desc}
		if !s.deliver(Result{}, re) {
			s.alreadyDone(w, r)
			return
		}
		s.cfg.Logf("received an error response: %q", clip(errCode))
		s.errorPage(w, r, re)
		return
	}
	if code == "" {
		s.refuse(w, r, http.StatusBadRequest, `no "code" and no "error"`, noticeBadRequest)
		return
	}
	if !s.deliver(Result{Code: code}, nil) {
		s.alreadyDone(w, r)
		return
	}
	s.cfg.Logf("received the authorization code")
	s.successPage(w, r)
}

// deliver records the flow's outcome; only the first call wins.
func (s *Server) deliver(res Result, err error) (won bool) {
	s.once.Do(func() {
		s.result, s.resErr = res, err
		won = true
		close(s.done)
	})
	return won
}

func (s *Server) alreadyDone(w http.ResponseWriter, r *http.Request) {
	s.cfg.Logf("ignored %s %q: the sign-in already completed", clip(r.Method), clip(r.URL.Path))
	s.notice(w, http.StatusOK, noticeAlreadyDone)
}

// refuse answers a request that doesn't end the flow, and logs why.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, why string, n notice) {
	s.cfg.Logf("ignored %s %q (%d): %s", clip(r.Method), clip(r.URL.Path), status, why)
	s.notice(w, status, n)
}

// params reads the response parameters from the body (form_post) or the
// query (query mode). Parameters elsewhere are ignored: a form_post response
// with the code in the URL would be an authorization server bug.
func (s *Server) params(w http.ResponseWriter, r *http.Request) (url.Values, int, error) {
	if s.cfg.ResponseMode == ResponseModeQuery {
		v, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, http.StatusBadRequest, errors.New("malformed query")
		}
		return v, 0, nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("content type %q isn't a form", clip(mt))
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", s.cfg.MaxBodyBytes)
		}
		return nil, http.StatusBadRequest, errors.New("malformed form body")
	}
	return r.PostForm, 0, nil
}

// single returns the one value of key, or "" if absent. A repeated parameter
// is an error: which copy the authorization server meant is ambiguous.
func single(v url.Values, key string) (string, error) {
	switch vs := v[key]; len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	default:
		return "", fmt.Errorf("%q repeated", key)
	}
}

// clip shortens request-controlled text for logs.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
