package loopback

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by [Server.Wait] when Close came before a response.
var ErrClosed = errors.New("the redirect server was closed")

// Server receives one authorization response. Create it with [Listen].
type Server struct {
	cfg       Config
	ep        Endpoint // with the bound port, which the Host header must name
	path      string   // the request path that carries the response
	listeners []net.Listener
	srv       *http.Server // serves every listener
	failed    atomic.Int32 // listeners whose Serve loop failed

	// once makes the first outcome (a response, Close, or every Serve loop
	// failing) the only one; result and resErr are read after done closes.
	once   sync.Once
	done   chan struct{}
	result Result
	resErr error

	wg        sync.WaitGroup // Serve loops and open connections
	closeOnce sync.Once
}

// newServer validates cfg, fills in its defaults and prepares a server
// without binding it, for Listen and tests.
func newServer(cfg Config) (*Server, error) {
	if cfg.State == "" {
		return nil, errors.New("a state is required")
	}
	for name, raw := range map[string]string{"SuccessRedirectURL": cfg.SuccessRedirectURL, "ErrorRedirectURL": cfg.ErrorRedirectURL} {
		if u, err := url.Parse(raw); raw != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			return nil, fmt.Errorf("%s %q isn't an absolute http or https URL", name, raw)
		}
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	cfg.limits = cmp.Or(cfg.limits, &defaultLimits)
	ep, err := ParseRedirectURL(cfg.RedirectURL)
	if err != nil {
		return nil, err
	}
	// A browser requests at least "/"; an EscapedPath always unescapes.
	path, _ := url.PathUnescape(cmp.Or(ep.Path, "/"))
	s := &Server{cfg: cfg, ep: ep, path: path, done: make(chan struct{})}
	lim := cfg.limits
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    lim.maxHeader,
		ConnState:         s.trackConn,
		ErrorLog:          log.New(io.Discard, "", 0), // net/http's complaints aren't the user's business
	}
	return s, nil
}

// start serves on ls, which all share one port.
func (s *Server) start(ls []net.Listener) {
	s.listeners = ls
	s.ep.Port = ls[0].Addr().(*net.TCPAddr).Port
	for _, l := range ls {
		s.cfg.Logf("listening on %s for %s", l.Addr(), s.RedirectURI())
		s.wg.Add(1)
		go s.serve(l)
	}
}

func (s *Server) serve(l net.Listener) {
	defer s.wg.Done()
	err := s.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return
	}
	s.cfg.Logf("stopped listening on %s: %v", l.Addr(), err)
	if int(s.failed.Add(1)) == len(s.listeners) {
		s.deliver(Result{}, fmt.Errorf("the redirect server stopped: %w", err))
	}
}

// trackConn counts connections in wg: Serve reports StateNew while its own
// count is held, and StateClosed as the connection's goroutine ends.
func (s *Server) trackConn(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.wg.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.wg.Done()
	}
}

// deliver records the outcome; only the first call wins.
func (s *Server) deliver(res Result, err error) (won bool) {
	s.once.Do(func() {
		s.result, s.resErr = res, err
		won = true
		close(s.done)
	})
	return won
}

// RedirectURI is the redirect_uri to send: the configured redirect URL with
// the bound port, like "http://localhost:53127".
func (s *Server) RedirectURI() string {
	return "http://" + net.JoinHostPort(s.ep.Host, strconv.Itoa(s.ep.Port)) + s.ep.Path
}

// Wait blocks until the authorization response arrives, ctx is done, or the
// server is closed, and returns the code, a *[ResponseError], an error
// wrapping ctx.Err() and its cause, or [ErrClosed]. Called again, it returns
// the same response.
func (s *Server) Wait(ctx context.Context) (Result, error) {
	select {
	case <-s.done:
	case <-ctx.Done():
		select {
		case <-s.done: // a response that has arrived wins over a ctx that ended
		default:
			err := ctx.Err()
			if cause := context.Cause(ctx); cause != err {
				return Result{}, fmt.Errorf("stopped waiting for the sign-in response: %w (%w)", err, cause)
			}
			return Result{}, fmt.Errorf("stopped waiting for the sign-in response: %w", err)
		}
	}
	return s.result, s.resErr
}

// Close stops the server: it lets a response being written finish for up to
// a second, then closes every connection, and returns once all of the
// server's goroutines have ended. It may be called more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.deliver(Result{}, ErrClosed)
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.limits.shutdownGrace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.cfg.Logf("closing connections still open after %v", s.cfg.limits.shutdownGrace)
			s.srv.Close()
		}
		s.wg.Wait()
	})
	return nil
}
