package loopback

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testState = "state-0123456789abcdef"

// testLimits keep the shutdown grace short so that tests of Close are fast.
var testLimits = limits{
	readHeader:    2 * time.Second,
	read:          5 * time.Second,
	write:         5 * time.Second,
	idle:          5 * time.Second,
	shutdownGrace: 300 * time.Millisecond,
	maxHeader:     defaultLimits.maxHeader,
	maxBody:       defaultLimits.maxBody,
}

// listen starts a server with cfg (State and test limits filled in when
// unset) and closes it when the test ends.
func listen(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.State == "" {
		cfg.State = testState
	}
	if cfg.limits == nil {
		cfg.limits = &testLimits
	}
	if cfg.Logf == nil {
		// Safe: Close, in Cleanup, returns only after the last handler.
		cfg.Logf = t.Logf
	}
	s, err := Listen(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// reply is what the test browser got back.
type reply struct {
	status int
	header http.Header
	body   string
}

// client is a browser stand-in without keep-alives (no idle connection
// goroutines outlive a request) that doesn't follow redirects.
func client() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

// do sends a request to s. target is a path (and query) on s; host, when
// not empty, replaces the Host header.
func do(t *testing.T, s *Server, method, target, host, contentType, body string) reply {
	t.Helper()
	base := s.RedirectURI()
	u, err := url.Parse(base)
	require.NoError(t, err)
	req, err := http.NewRequest(method, "http://"+u.Host+target, strings.NewReader(body))
	require.NoError(t, err)
	if host != "" {
		req.Host = host
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// post delivers a form to s's redirect path, as a browser does for
// response_mode=form_post.
func post(t *testing.T, s *Server, form url.Values) reply {
	t.Helper()
	return do(t, s, http.MethodPost, s.path, "", "application/x-www-form-urlencoded", form.Encode())
}

func codeForm(code string) url.Values {
	return url.Values{"code": {code}, "state": {testState}, "session_state": {"abc"}}
}

// requireWaiting asserts that s hasn't received a response yet.
func requireWaiting(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := s.Wait(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the flow ended early")
}

// wait is Wait with a deadline, so a broken test fails instead of hanging.
func wait(t *testing.T, s *Server) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return s.Wait(ctx)
}

// freePort finds a port free on both 127.0.0.1 and [::1] (when IPv6 is
// available). Another process could take it before the test binds it; that
// is unlikely enough on a test machine.
func freePort(t *testing.T) int {
	t.Helper()
	for range 10 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		p := l.Addr().(*net.TCPAddr).Port
		l6, err := net.Listen("tcp6", fmt.Sprintf("[::1]:%d", p))
		l.Close()
		if err == nil {
			l6.Close()
			return p
		}
		if !haveIPv6() {
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

func haveIPv6() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}
