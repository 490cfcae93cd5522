package loopback

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenDefaultIsDualStack(t *testing.T) {
	t.Parallel()
	s := listen(t, Config{})
	uri := s.RedirectURI()
	require.Regexp(t, `^http://localhost:\d+$`, uri, "no path: the caller's redirect URL had none")

	var addrs []net.Addr
	for _, l := range s.listeners {
		addrs = append(addrs, l.Addr())
	}
	if !haveIPv6() {
		require.Len(t, addrs, 1)
		return
	}
	require.Len(t, addrs, 2)
	assert.Equal(t, "127.0.0.1", addrs[0].(*net.TCPAddr).IP.String())
	assert.Equal(t, "::1", addrs[1].(*net.TCPAddr).IP.String())
	assert.Equal(t, addrs[0].(*net.TCPAddr).Port, addrs[1].(*net.TCPAddr).Port)
	assert.True(t, strings.HasSuffix(uri, fmt.Sprint(":", s.ep.Port)))

	// Either family delivers; the browser says Host: localhost:PORT.
	for _, a := range addrs {
		r := postTo(t, "http://"+a.String()+"/", "localhost:"+fmt.Sprint(s.ep.Port), codeForm("x"))
		assert.Equal(t, http.StatusOK, r.status, a)
	}
}

func TestListenVariants(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	for _, tc := range []struct {
		name, redirect string
		ipv6           bool
		wantURI        string // %d is the port
		wantAddrs      []string
		path           string
	}{
		{name: "127.0.0.1 fixed port", redirect: fmt.Sprintf("http://127.0.0.1:%d", port), wantURI: "http://127.0.0.1:%d", wantAddrs: []string{"127.0.0.1"}, path: "/"},
		{name: "127.0.0.1 random", redirect: "http://127.0.0.1", wantURI: "http://127.0.0.1:%d", wantAddrs: []string{"127.0.0.1"}, path: "/"},
		{name: "[::1]", redirect: "http://[::1]/cb", ipv6: true, wantURI: "http://[::1]:%d/cb", wantAddrs: []string{"::1"}, path: "/cb"},
		{name: "custom path", redirect: "http://localhost/auth/callback", wantURI: "http://localhost:%d/auth/callback", path: "/auth/callback"},
		{name: "trailing slash kept", redirect: "http://localhost/", wantURI: "http://localhost:%d/", path: "/"},
		{name: "escaped path", redirect: "http://localhost/a%20b", wantURI: "http://localhost:%d/a%%20b", path: "/a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ipv6 && !haveIPv6() {
				t.Skip("no IPv6 loopback")
			}
			s := listen(t, Config{RedirectURL: tc.redirect})
			assert.Equal(t, fmt.Sprintf(tc.wantURI, s.ep.Port), s.RedirectURI())
			if tc.wantAddrs != nil {
				var got []string
				for _, l := range s.listeners {
					got = append(got, l.Addr().(*net.TCPAddr).IP.String())
				}
				assert.Equal(t, tc.wantAddrs, got)
			}
			if tc.path != "/" {
				r := do(t, s, http.MethodPost, "/", "", form, codeForm("x").Encode())
				assert.Equal(t, http.StatusNotFound, r.status, "only the redirect path is served")
			}
			// Deliver the way a browser would, to the redirect URI itself.
			u, err := url.Parse(s.RedirectURI())
			require.NoError(t, err)
			r := postTo(t, s.RedirectURI(), u.Host, codeForm("c-"+tc.name))
			require.Equal(t, http.StatusOK, r.status)
			res, err := wait(t, s)
			require.NoError(t, err)
			assert.Equal(t, "c-"+tc.name, res.Code)
		})
	}
}

func TestListenRejects(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{},
		{State: "s", RedirectURL: "https://localhost"},
		{State: "s", RedirectURL: "http://example.com"},
		{State: "s", RedirectURL: "http://me@localhost"},
		{State: "s", RedirectURL: "http://localhost/?a=b"},
		{State: "s", SuccessRedirectURL: "/relative"},
		{State: "s", ErrorRedirectURL: "javascript:alert(1)"},
	} {
		s, err := Listen(cfg)
		assert.Error(t, err, "%+v", cfg)
		assert.Nil(t, s)
	}
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	for _, family := range []struct{ network, ip string }{{"tcp4", "127.0.0.1"}, {"tcp6", "::1"}} {
		t.Run(family.ip, func(t *testing.T) {
			if family.network == "tcp6" && !haveIPv6() {
				t.Skip("no IPv6 loopback")
			}
			squatter, err := net.Listen(family.network, net.JoinHostPort(family.ip, "0"))
			require.NoError(t, err)
			defer squatter.Close()
			port := squatter.Addr().(*net.TCPAddr).Port

			// localhost must not leave either family's port to another program.
			_, err = Listen(Config{State: "s", RedirectURL: fmt.Sprintf("http://localhost:%d", port)})
			var pe *PortInUseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, port, pe.Port)
			assert.Contains(t, err.Error(), fmt.Sprint("port ", port))
			assert.Contains(t, pe.Remedy(), "leave the port out")

			_, err = Listen(Config{State: "s", RedirectURL: fmt.Sprintf("http://%s/", net.JoinHostPort(family.ip, fmt.Sprint(port)))})
			require.ErrorAs(t, err, &pe)
		})
	}
}

// fakeListen binds real listeners, except that it fails the families and
// tries it is told to.
type fakeListen struct {
	v6InUse    int  // fail this many tcp6 binds with "in use"
	v6Missing  bool // fail tcp6 as if IPv6 were disabled
	v4Missing  bool
	v6Attempts int
}

func (f *fakeListen) listen(ip string, port int) (net.Listener, error) {
	switch {
	case ip == "127.0.0.1" && f.v4Missing:
		return nil, errors.New("address family not supported")
	case ip == "::1" && f.v6Missing:
		return nil, errors.New("cannot assign requested address")
	case ip == "::1":
		f.v6Attempts++
		if f.v6Attempts <= f.v6InUse {
			return nil, &PortInUseError{Addr: fmt.Sprintf("[::1]:%d", port), Port: port, err: errors.New("in use")}
		}
		ip, port = "127.0.0.1", 0 // stand in for IPv6 on machines without it
	}
	return listenOne(ip, port)
}

func TestBindLocalhost(t *testing.T) {
	t.Parallel()
	closeAll := func(ls []net.Listener) {
		for _, l := range ls {
			l.Close()
		}
	}
	t.Run("random port taken on IPv6 is retried", func(t *testing.T) {
		f := &fakeListen{v6InUse: 2}
		ls, err := bind("localhost", 0, t.Logf, f.listen)
		require.NoError(t, err)
		defer closeAll(ls)
		assert.Len(t, ls, 2)
		assert.Equal(t, 3, f.v6Attempts)
	})
	t.Run("retries run out", func(t *testing.T) {
		f := &fakeListen{v6InUse: 100}
		_, err := bind("localhost", 0, t.Logf, f.listen)
		var pe *PortInUseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, randomPortTries, f.v6Attempts)
	})
	t.Run("fixed port taken on IPv6 is an error", func(t *testing.T) {
		f := &fakeListen{v6InUse: 1}
		_, err := bind("localhost", freePort(t), t.Logf, f.listen)
		var pe *PortInUseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 1, f.v6Attempts)
	})
	t.Run("no IPv6", func(t *testing.T) {
		ls, err := bind("localhost", 0, t.Logf, (&fakeListen{v6Missing: true}).listen)
		require.NoError(t, err)
		defer closeAll(ls)
		assert.Len(t, ls, 1)
	})
	t.Run("no IPv4", func(t *testing.T) {
		ls, err := bind("localhost", 0, t.Logf, (&fakeListen{v4Missing: true}).listen)
		require.NoError(t, err)
		defer closeAll(ls)
		assert.Len(t, ls, 1)
	})
	t.Run("neither", func(t *testing.T) {
		_, err := bind("localhost", 0, t.Logf, (&fakeListen{v4Missing: true, v6Missing: true}).listen)
		require.ErrorContains(t, err, "can't listen on localhost")
	})
}

// postTo posts form to rawURL with the given Host header.
func postTo(t *testing.T, rawURL, host string, form url.Values) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Host = host
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	return reply{status: resp.StatusCode, header: resp.Header}
}
