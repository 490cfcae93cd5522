package entratest

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"
)

// newTransport returns the transport behind Client: it trusts the server's certificate (and
// those TrustCertificate added), dials the server for the routed Entra hosts and a
// resource's listener for its host, and never uses a proxy.
func (s *Server) newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	dial := func(ctx context.Context, network, hostport string) (net.Conn, error) {
		to, err := s.dialAddr(hostport)
		if err != nil {
			return nil, err
		}
		return dialer.DialContext(ctx, network, to)
	}
	return &http.Transport{
		Proxy:       nil, // never send test traffic through an environment proxy
		DialContext: dial,
		// TLS is done here rather than by the transport so that each connection
		// trusts the roots of the moment: TrustCertificate may add one after the
		// transport was made, and a tls.Config in use mustn't change.
		DialTLSContext: func(ctx context.Context, network, hostport string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(hostport)
			if err != nil {
				return nil, err
			}
			raw, err := dial(ctx, network, hostport)
			if err != nil {
				return nil, err
			}
			conn := tls.Client(raw, &tls.Config{RootCAs: s.rootCAs(), ServerName: host, MinVersion: tls.VersionTLS12})
			if err := conn.HandshakeContext(ctx); err != nil {
				_ = raw.Close()
				return nil, err
			}
			return conn, nil
		},
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 0,
	}
}

// dialAddr is where Client connects for hostport: the server for the routed Entra hosts,
// a resource's listener for its host, loopback addresses as they are, nothing else.
func (s *Server) dialAddr(hostport string) (string, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", err
	}
	switch {
	case isRoutedHost(host):
		return s.ts.Listener.Addr().String(), nil
	case port == "443" && s.resourceAddr(host) != "":
		return s.resourceAddr(host), nil
	case isLoopbackHost(host):
		return hostport, nil
	}
	return "", fmt.Errorf("entratest: refusing to dial non-loopback host %q", host)
}

// routingTransport rejects requests to hosts the emulator can't stand in for before any
// name resolution happens, so a test can never reach the internet by accident.
type routingTransport struct {
	s    *Server
	base *http.Transport
}

func (t *routingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	host, port := req.URL.Hostname(), req.URL.Port()
	https443 := req.URL.Scheme == "https" && (port == "" || port == "443")
	switch {
	case isLoopbackHost(host):
	case isRoutedHost(host) && https443:
	case t.s.resourceAddr(host) != "" && https443:
	default:
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("entratest: refusing %s %s://%s%s: host %q is neither loopback, nor one of %s, nor the Host of a Resource",
			req.Method, req.URL.Scheme, req.URL.Host, req.URL.Path, req.URL.Host, strings.Join(routedHosts, ", "))
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the shared transport.
func (t *routingTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

func isRoutedHost(host string) bool {
	for _, h := range routedHosts {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Transport returns a transport that serves requests to the server in memory, calling
// ServeHTTP directly without the network: requests for URL()'s host (or localhost or
// [::1] at its port) and for the routed Entra hosts, which Client() sends to the server
// over loopback TCP. It refuses every other host, so the stand-in browsers and MSAL's
// interactive flow, which need the application's loopback server, can't use it.
//
// Its purpose is testing/synctest: a handler runs in the calling goroutine, so inside a
// bubble the server's clock (when Options.Now is nil) and fault delays follow the bubble's
// fake time, and MSAL's device code polling completes instantly. Use it as
// public.WithHTTPClient(&http.Client{Transport: srv.Transport()}) or as
// azcore.ClientOptions.Transport (wrapped the same way). It works before Start too.
func (s *Server) Transport() http.RoundTripper { return memoryTransport{s} }

// memoryTransport is Transport's http.RoundTripper.
type memoryTransport struct{ s *Server }

func (t memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	host, port := req.URL.Hostname(), req.URL.Port()
	routed := isRoutedHost(host) && (port == "" || port == "443")
	if req.URL.Scheme != "https" || !(routed || t.s.isOwnHost(req.URL.Host)) {
		return nil, fmt.Errorf("entratest: in-memory transport refusing %s %s://%s%s: it serves only %s and %s",
			req.Method, req.URL.Scheme, req.URL.Host, req.URL.Path, t.s.URL(), strings.Join(routedHosts, ", "))
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
	}
	sreq := req.Clone(req.Context())
	sreq.Body = io.NopCloser(bytes.NewReader(body))
	sreq.ContentLength = int64(len(body))
	sreq.Host = req.URL.Host
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:1"
	sreq.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: host, Version: tls.VersionTLS13}
	sreq.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}

	rec := httptest.NewRecorder()
	if aborted := serveCatchingAbort(t.s, rec, sreq); aborted {
		if !rec.Flushed {
			return nil, fmt.Errorf("entratest: %s %s: connection closed without a response: %w", req.Method, redactURL(req.URL), io.EOF)
		}
		resp := rec.Result()
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(rec.Body.Bytes()), errReader{io.ErrUnexpectedEOF}))
		resp.Request = req
		return resp, nil
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// serveCatchingAbort runs ServeHTTP and reports whether it aborted the response the way a
// dropped connection does (panic(http.ErrAbortHandler)).
func serveCatchingAbort(s *Server, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	s.ServeHTTP(w, r)
	return false
}

// errReader is a reader that fails.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
