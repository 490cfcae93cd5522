package loopback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
)

// ErrClosed is returned by [Server.Wait] when the server was closed before a
// response arrived.
var ErrClosed = errors.New("the redirect server was closed")

// Server receives one authorization response. Create it with [Listen].
type Server struct {
	cfg         Config
	ep          Endpoint
	path        string // the request path that carries the response
	redirectURI string
	port        int // the bound port; the Host header must name it
	listeners   []net.Listener
	srv         *http.Server // serves every listener

	// once makes the first valid response the only one. result and resErr
	// are written inside it, before done is closed, and read only after.
	once   sync.Once
	done   chan struct{}
	result Result
	resErr error

	serving sync.WaitGroup // one per Serve goroutine
	conns   sync.WaitGroup // one per open connection, so Close can wait them out

	mu        sync.Mutex    // guards failed and serveErr, and closing allFailed
	failed    int           // Serve goroutines that stopped on their own
	serveErr  error         // why the last one stopped
	allFailed chan struct{} // closed when every listener has failed

	closeOnce sync.Once
	closed    chan struct{} // closed when Close starts
}

// newServer prepares a server for ep without binding, so that tests and the
// fuzz target can drive its handler directly.
func newServer(cfg Config, ep Endpoint) (*Server, error) {
	path, err := ep.servedPath()
	if err != nil {
		return nil, fmt.Errorf("redirect URL path %q: %w", ep.Path, err)
	}
	s := &Server{
		cfg:       cfg,
		ep:        ep,
		path:      path,
		port:      ep.Port,
		done:      make(chan struct{}),
		allFailed: make(chan struct{}),
		closed:    make(chan struct{}),
	}
	s.redirectURI = ep.redirectURI(ep.Port)
	lim := cfg.limits
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    lim.maxHeader,
		ConnState:         s.trackConn,
		ErrorLog:          discardLogger,
	}
	return s, nil
}

// start serves on ls, which all share one port.
func (s *Server) start(ls []net.Listener) {
	s.listeners = ls
	s.port = ls[0].Addr().(*net.TCPAddr).Port
	s.redirectURI = s.ep.redirectURI(s.port)
	for _, l := range ls {
		s.cfg.Logf("listening on %s for %s", l.Addr(), s.redirectURI)
		s.serving.Add(1)
		go s.serve(l)
	}
}

func (s *Server) serve(l net.Listener) {
	defer s.serving.Done()
	err := s.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return
	}
	s.cfg.Logf("stopped listening on %s: %v", l.Addr(), err)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed++
	s.serveErr = err
	if s.failed == len(s.listeners) {
		close(s.allFailed)
	}
}

// trackConn counts open connections. StateNew is reported by Serve before it
// returns and StateClosed by the connection's goroutine as it ends, so once
// Serve has returned, conns.Wait covers every connection goroutine.
func (s *Server) trackConn(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.conns.Done()
	}
}

// RedirectURI is the redirect_uri to send in the authorization and token
// requests: the configured redirect URL with the bound port, such as
// "http://localhost:53127" (no path, when the redirect URL had none).
func (s *Server) RedirectURI() string { return s.redirectURI }

// Addrs are the addresses the server listens on: one or two (127.0.0.1 and
// [::1] for localhost).
func (s *Server) Addrs() []net.Addr {
	addrs := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		addrs[i] = l.Addr()
	}
	return addrs
}

// Wait blocks until the authorization response arrives, ctx is done, or the
// server is closed. It returns the code, or a *[ResponseError] when the
// authorization server returned an error, or an error wrapping ctx.Err() (so
// errors.Is(err, context.Canceled) and context.DeadlineExceeded work), or
// [ErrClosed]. Stray and invalid requests don't end the wait. Wait may be
// called again; it returns the same response.
func (s *Server) Wait(ctx context.Context) (Result, error) {
	// A response that has arrived wins over a ctx that ended at the same time.
	select {
	case <-s.done:
		return s.result, s.resErr
	default:
	}
	select {
	case <-s.done:
		return s.result, s.resErr
	case <-ctx.Done():
		err := ctx.Err()
		if cause := context.Cause(ctx); cause != nil && cause != err {
			return Result{}, fmt.Errorf("stopped waiting for the sign-in response: %w (%w)", err, cause)
		}
		return Result{}, fmt.Errorf("stopped waiting for the sign-in response: %w", err)
	case <-s.closed:
		return Result{}, ErrClosed
	case <-s.allFailed:
		s.mu.Lock()
		defer s.mu.Unlock()
		return Result{}, fmt.Errorf("the redirect server stopped: %w", s.serveErr)
	}
}

// Close stops the server. It lets a response being written (the success
// page) finish for up to a second, then closes every connection, including
// ones a client holds open, and returns once all of the server's goroutines
// have ended. It is safe to call more than once and concurrently with Wait.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.limits.shutdownGrace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.cfg.Logf("closing connections still open after %v", s.cfg.limits.shutdownGrace)
			s.srv.Close()
		}
		s.serving.Wait()
		s.conns.Wait()
	})
	return nil
}

// discardLogger silences net/http's own log lines (TLS handshakes on the
// plain port, header timeouts): they are not the user's business, and the
// handler reports what matters through Logf.
var discardLogger = log.New(io.Discard, "", 0)
