package loopback

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trickle opens a connection to addr, writes head, then one byte of more
// every interval until stop is closed or the server hangs up.
func trickle(t *testing.T, addr, head, more string, interval time.Duration, stop <-chan struct{}, wg *sync.WaitGroup) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	wg.Go(func() {
		defer c.Close()
		if _, err := c.Write([]byte(head)); err != nil {
			return
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte{more[i%len(more)]}); err != nil {
					return // the server closed it
				}
			}
		}
	})
}

// listenWatched is listen for a server that reports, on accepted, each
// connection it accepts (its goroutine then reads the request) and, on
// handling, each request whose headers it has read, as the handler starts.
func listenWatched(t *testing.T) (s *Server, accepted, handling <-chan struct{}) {
	t.Helper()
	s, err := newServer(Config{State: testState, limits: &testLimits, Logf: t.Logf})
	require.NoError(t, err)
	acc, hand := make(chan struct{}, 100), make(chan struct{}, 100)
	trackConn, handler := s.srv.ConnState, s.srv.Handler
	s.srv.ConnState = func(c net.Conn, st http.ConnState) {
		trackConn(c, st)
		if st == http.StateNew {
			acc <- struct{}{}
		}
	}
	s.srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hand <- struct{}{}
		handler.ServeHTTP(w, r)
	})
	ls, err := bind(s.ep.Host, s.ep.Port, s.cfg.Logf, listenOne)
	require.NoError(t, err)
	s.start(ls)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, acc, hand
}

// receive waits for n values on ch; a test that would otherwise hang fails.
func receive(t *testing.T, ch <-chan struct{}, n int, what string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for i := range n {
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("%d of %d %s after 10 s", i, n, what)
		}
	}
}

// TestSlowClients holds connections open with trickled headers and bodies
// (slowloris); neither the real response nor Close may wait for them.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	s, accepted, handling := listenWatched(t)
	addr := s.listeners[0].Addr().String()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	host := fmt.Sprintf("localhost:%d", s.ep.Port)

	// Headers that never end.
	trickle(t, addr, "POST / HTTP/1.1\r\nHost: "+host+"\r\nX-Slow: ", "a", 20*time.Millisecond, stop, &wg)
	// A body that never ends, on the redirect path with a form type.
	trickle(t, addr, "POST / HTTP/1.1\r\nHost: "+host+"\r\nContent-Type: "+form+"\r\nContent-Length: 100000\r\n\r\nstate=", "a", 20*time.Millisecond, stop, &wg)
	// A body that never ends on another path.
	trickle(t, addr, "POST /x HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 100000\r\n\r\n", "a", 20*time.Millisecond, stop, &wg)
	// The server holds all three: it has accepted each, and is in the
	// handler (reading the body) of the two whose headers ended.
	receive(t, accepted, 3, "slow connections accepted")
	receive(t, handling, 2, "slow bodies in the handler")

	start := time.Now()
	require.Equal(t, http.StatusOK, post(t, s, codeForm("fast")).status)
	res, err := wait(t, s)
	require.NoError(t, err)
	assert.Equal(t, "fast", res.Code)
	assert.Less(t, time.Since(start), 2*time.Second)

	start = time.Now()
	require.NoError(t, s.Close())
	assert.Less(t, time.Since(start), testLimits.shutdownGrace+time.Second, "Close must not wait for slow clients")
}

// TestManyJunkConnections floods the server with idle, garbage and
// half-finished connections; the real response still gets through.
func TestManyJunkConnections(t *testing.T) {
	t.Parallel()
	s := listen(t, Config{})
	addr := s.listeners[0].Addr().String()
	junk := []string{
		"",                         // connect and say nothing
		"\x16\x03\x01\x00\xa5\x01", // a TLS ClientHello on the plain port
		"GET / HTTP/1.1\r\n",       // headers never finished
		"garbage\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nstate", // short body
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 200 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		conns = append(conns, c)
		if j := junk[i%len(junk)]; j != "" {
			_, err = c.Write([]byte(j))
			require.NoError(t, err)
		}
	}
	require.Equal(t, http.StatusOK, post(t, s, codeForm("through")).status)
	res, err := wait(t, s)
	require.NoError(t, err)
	assert.Equal(t, "through", res.Code)

	// Garbage gets a 400 from net/http, not a hang.
	c := conns[3]
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, line, "400")

	start := time.Now()
	require.NoError(t, s.Close())
	assert.Less(t, time.Since(start), testLimits.shutdownGrace+time.Second)
}
