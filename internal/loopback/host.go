package loopback

import (
	"net"
	"strconv"
	"strings"
)

// hostAllowed reports whether a request's Host header names this server: a
// loopback host and the bound port. Checking it defeats DNS rebinding, where a
// web page on attacker.example re-resolves its name to 127.0.0.1 to reach
// local servers; its requests still carry "attacker.example" as Host. Any of
// the loopback names is fine: the browser reached us, whichever it used.
func (s *Server) hostAllowed(h string) bool {
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port: the browser omits the default one.
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), "80"
	}
	return port == strconv.Itoa(s.port) && isLoopbackHost(strings.ToLower(host))
}
