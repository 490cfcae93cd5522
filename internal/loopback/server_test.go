package loopback

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

const form = "application/x-www-form-urlencoded"

// strays are requests a browser, an extension or another local program may
// send before or after the real response. None may end the flow.
func strays(s *Server) []struct {
	name                              string
	method, target, host, ctype, body string
	status                            int
} {
	port := fmt.Sprint(s.ep.Port)
	good := codeForm("stolen").Encode()
	return []struct {
		name                              string
		method, target, host, ctype, body string
		status                            int
	}{
		{"favicon", "GET", "/favicon.ico", "", "", "", 404},
		{"other path", "POST", "/other", "", form, good, 404},
		{"path prefix", "POST", "/x/", "", form, good, 404},
		{"GET on redirect path", "GET", "/?" + good, "", "", "", 405},
		{"HEAD", "HEAD", "/", "", "", "", 405},
		{"OPTIONS", "OPTIONS", "/", "", "", "", 405},
		{"PUT", "PUT", "/", "", form, good, 405},
		{"wrong state", "POST", "/", "", form, url.Values{"code": {"c"}, "state": {"other"}}.Encode(), 400},
		{"state prefix", "POST", "/", "", form, url.Values{"code": {"c"}, "state": {testState[:5]}}.Encode(), 400},
		{"missing state", "POST", "/", "", form, url.Values{"code": {"c"}}.Encode(), 400},
		{"empty state", "POST", "/", "", form, url.Values{"code": {"c"}, "state": {""}}.Encode(), 400},
		{"repeated state", "POST", "/", "", form, "code=c&state=" + testState + "&state=x", 400},
		{"repeated code", "POST", "/", "", form, "code=c&code=d&state=" + testState, 400},
		{"missing code", "POST", "/", "", form, url.Values{"state": {testState}}.Encode(), 400},
		{"empty code", "POST", "/", "", form, url.Values{"state": {testState}, "code": {""}}.Encode(), 400},
		{"state only in query", "POST", "/?state=" + testState + "&code=c", "", form, "", 400},
		{"malformed body", "POST", "/", "", form, "%zz=1", 400},
		{"not a form", "POST", "/", "", "application/json", `{"code":"c","state":"` + testState + `"}`, 415},
		{"no content type", "POST", "/", "", "", good, 415},
		{"DNS rebinding host", "POST", "/", "attacker.example:" + port, form, good, 400},
		{"wrong port", "POST", "/", "localhost:1", form, good, 400},
		{"no port", "POST", "/", "localhost", form, good, 400},
		{"loopback lookalike", "POST", "/", "127.0.0.2:" + port, form, good, 400},
		{"trailing dot", "POST", "/", "localhost.:" + port, form, good, 400},
	}
}

func TestStrayRequestsDontEndTheFlow(t *testing.T) {
	t.Parallel()
	s := listen(t, Config{})
	for _, st := range strays(s) {
		r := do(t, s, st.method, st.target, st.host, st.ctype, st.body)
		assert.Equal(t, st.status, r.status, st.name)
		if st.status == http.StatusMethodNotAllowed {
			assert.Equal(t, "POST", r.header.Get("Allow"), st.name)
		}
		assert.NotContains(t, r.body, "stolen", st.name)
	}
	requireWaiting(t, s)

	r := post(t, s, codeForm("the-code"))
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "You can close this tab and return to the application")

	// Strays after the response are answered the same way.
	for _, st := range strays(s) {
		assert.Equal(t, st.status, do(t, s, st.method, st.target, st.host, st.ctype, st.body).status, st.name)
	}
	res, err := wait(t, s)
	require.NoError(t, err)
	assert.Equal(t, "the-code", res.Code)
}

// TestStraysDuringTheResponse interleaves strays with the real response.
func TestStraysDuringTheResponse(t *testing.T) {
	t.Parallel()
	s := listen(t, Config{})
	var wg sync.WaitGroup
	for _, st := range strays(s) {
		wg.Go(func() {
			for range 3 {
				assert.Equal(t, st.status, do(t, s, st.method, st.target, st.host, st.ctype, st.body).status, st.name)
			}
		})
	}
	wg.Go(func() { assert.Equal(t, http.StatusOK, post(t, s, codeForm("the-code")).status) })
	wg.Wait()
	res, err := wait(t, s)
	require.NoError(t, err)
	assert.Equal(t, "the-code", res.Code)
}

func TestHostHeader(t *testing.T) {
	t.Parallel()
	s := &Server{ep: Endpoint{Port: 8400}}
	for h, want := range map[string]bool{
		"localhost:8400":        true,
		"LocalHost:8400":        true,
		"127.0.0.1:8400":        true,
		"[::1]:8400":            true,
		"localhost:8401":        false,
		"localhost":             false,
		"localhost:":            false,
		"evil.example:8400":     false,
		"localhost.evil:8400":   false,
		"[::ffff:127.0.0.1]:84": false,
		"":                      false,
	} {
		assert.Equal(t, want, s.hostAllowed(h), h)
	}
	s.ep.Port = 80
	assert.True(t, s.hostAllowed("localhost"), "port 80 may be left out")
	assert.True(t, s.hostAllowed("[::1]"))
}

func TestErrorResponse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code, desc string
		cancelled  bool
	}{
		{"access_denied", "AADSTS65004: User declined to consent <script>alert(1)</script>", true},
		{"invalid_scope", "AADSTS70011: The provided value for scope \"x\" & y isn't valid.", false},
		{"server_error", "", false},
	} {
		t.Run(tc.code, func(t *testing.T) {
			t.Parallel()
			s := listen(t, Config{})
			r := post(t, s, url.Values{"error": {tc.code}, "error_description": {tc.desc}, "state": {testState}})
			require.Equal(t, http.StatusOK, r.status)
			assert.Contains(t, r.body, tc.code)
			assert.NotContains(t, r.body, "<script>alert")
			assert.NotContains(t, r.body, "window.close", "the error page stays open to be read")
			if tc.cancelled {
				assert.Contains(t, r.body, "&lt;script&gt;alert(1)&lt;/script&gt;")
			}
			_, err := wait(t, s)
			var re *ResponseError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.code, re.Code)
			assert.Equal(t, tc.desc, re.Description, "the Go error keeps the raw text")
			assert.Equal(t, tc.cancelled, re.Cancelled())
			assert.Contains(t, err.Error(), tc.code)
			assert.Contains(t, err.Error(), tc.desc)

			// Later responses, even valid ones, don't change the outcome.
			r = post(t, s, codeForm("late"))
			assert.Equal(t, http.StatusOK, r.status)
			assert.Contains(t, r.body, "already")
			_, err2 := wait(t, s)
			assert.Equal(t, err, err2)
		})
	}
}

func TestErrorPageEscapes(t *testing.T) {
	t.Parallel()
	s := listen(t, Config{})
	r := post(t, s, url.Values{"error": {"<b>x</b>"}, "error_description": {`<script>alert("x")</script>`}, "state": {testState}})
	assert.Contains(t, r.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	assert.Contains(t, r.body, "&lt;b&gt;x&lt;/b&gt;")
	_, err := wait(t, s)
	assert.Contains(t, err.Error(), `<script>alert("x")</script>`)
}

func TestOversizedBody(t *testing.T) {
	t.Parallel()
	lim := testLimits
	lim.maxBody = 1024
	s := listen(t, Config{limits: &lim})
	big := codeForm("big")
	big.Set("padding", strings.Repeat("a", 4096))
	r := post(t, s, big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)
	requireWaiting(t, s)

	require.Equal(t, http.StatusOK, post(t, s, codeForm("small")).status)
	res, err := wait(t, s)
	require.NoError(t, err)
	assert.Equal(t, "small", res.Code)
}

func TestDoubleSubmit(t *testing.T) {
	t.Parallel()
	s := listen(t, Config{})
	first := post(t, s, codeForm("first"))
	second := post(t, s, codeForm("second"))
	assert.Equal(t, http.StatusOK, first.status)
	assert.Contains(t, first.body, "signed in")
	assert.Equal(t, http.StatusOK, second.status)
	assert.Contains(t, second.body, "already completed")
	res, err := wait(t, s)
	require.NoError(t, err)
	assert.Equal(t, "first", res.Code)
}

func TestConcurrentSubmitsHaveOneWinner(t *testing.T) {
	t.Parallel()
	s := listen(t, Config{})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex // guards winners
		winners []string
	)
	for i := range 20 {
		wg.Go(func() {
			code := fmt.Sprint("code-", i)
			r := post(t, s, codeForm(code))
			if strings.Contains(r.body, "You're signed in") {
				mu.Lock()
				winners = append(winners, code)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, winners, 1)
	res, err := wait(t, s)
	require.NoError(t, err)
	assert.Equal(t, winners[0], res.Code)
}

func TestWaitContext(t *testing.T) {
	t.Run("cancelled before", func(t *testing.T) {
		s := listen(t, Config{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.Wait(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		s := listen(t, Config{})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(30*time.Millisecond, cancel)
		_, err := s.Wait(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("deadline", func(t *testing.T) {
		s := listen(t, Config{})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
		defer cancel()
		_, err := s.Wait(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("cause", func(t *testing.T) {
		s := listen(t, Config{})
		why := errors.New("user gave up")
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(why)
		_, err := s.Wait(ctx)
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, err, why)
	})
	t.Run("response wins over a done ctx", func(t *testing.T) {
		s := listen(t, Config{})
		require.Equal(t, http.StatusOK, post(t, s, codeForm("c")).status)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		res, err := s.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, "c", res.Code)
	})
	// Sequential (not parallel), so this sees only this test's goroutines.
	goleak.VerifyNone(t)
}

func TestClose(t *testing.T) {
	s, err := Listen(Config{State: testState, limits: &testLimits})
	require.NoError(t, err)
	waitErr := make(chan error, 1)
	go func() { _, err := s.Wait(context.Background()); waitErr <- err }()

	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { assert.NoError(t, s.Close()) })
	}
	wg.Wait()
	require.NoError(t, s.Close(), "Close is idempotent")
	require.ErrorIs(t, <-waitErr, ErrClosed)
	_, err = s.Wait(context.Background())
	require.ErrorIs(t, err, ErrClosed)

	c := client()
	_, err = c.Post("http://"+s.listeners[0].Addr().String()+"/", form, strings.NewReader(codeForm("x").Encode()))
	require.Error(t, err, "a closed server accepts no connections")
	goleak.VerifyNone(t)
}
