// Package loopclient is the HTTP client of a program that talks to an
// entratest server running in another process: it trusts the server's
// certificate and sends every request, whatever its host (Entra ID's
// instance discovery goes to login.microsoftonline.com), to the server's
// loopback address, as entratest's own Server.Client does in the server's
// process. It counts the requests, so that a benchmark can tell a token
// served from the cache from one that cost a request.
package loopclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// Client is an http.Client for one entratest server.
type Client struct {
	*http.Client
	requests atomic.Int64
}

// New returns a client for the server at serverURL ("https://127.0.0.1:PORT")
// whose certificate is certPEM.
func New(serverURL string, certPEM []byte) (*Client, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		return nil, errors.New("loopclient: no certificate in the PEM")
	}
	addr := u.Host
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	t := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 16,
		ForceAttemptHTTP2:   true,
	}
	c := &Client{}
	c.Client = &http.Client{Transport: counting{t, &c.requests}}
	return c, nil
}

// Requests returns how many requests the client has sent.
func (c *Client) Requests() int64 { return c.requests.Load() }

type counting struct {
	base http.RoundTripper
	n    *atomic.Int64
}

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}
