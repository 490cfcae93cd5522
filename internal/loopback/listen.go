package loopback

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
)

// randomPortTries bounds how many random ports bind tries for localhost.
const randomPortTries = 5

// Listen validates cfg, binds the redirect server and starts serving, so that
// the browser may be opened right after it. The caller must [Server.Close] it.
func Listen(cfg Config) (*Server, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	ls, err := bind(s.ep.Host, s.ep.Port, s.cfg.Logf, listenOne)
	if err != nil {
		return nil, err
	}
	s.start(ls)
	return s, nil
}

// bind binds host's address, or for localhost both 127.0.0.1 and [::1] on
// one port, as browsers may resolve it to either. If only one family can be
// bound, a browser trying the other gets "connection refused" and retries
// with the bound one. But the other family's port must not belong to another
// program, which would receive the sign-in response: that is an error for a
// fixed port and a retry for a random one. Tests replace listen.
func bind(host string, port int, logf func(string, ...any), listen func(ip string, port int) (net.Listener, error)) ([]net.Listener, error) {
	if host != "localhost" {
		l, err := listen(host, port)
		if err != nil {
			return nil, err
		}
		return []net.Listener{l}, nil
	}
	var inUse *PortInUseError // also the last conflict on [::1]
	for range randomPortTries {
		v4, err4 := listen("127.0.0.1", port)
		if errors.As(err4, &inUse) {
			return nil, err4 // a fixed port: a random one is never in use
		}
		p := port
		if err4 == nil {
			p = v4.Addr().(*net.TCPAddr).Port
		}
		v6, err6 := listen("::1", p)
		switch {
		case err4 == nil && err6 == nil:
			return []net.Listener{v4, v6}, nil
		case err4 == nil && errors.As(err6, &inUse):
			v4.Close()
			if port != 0 {
				return nil, err6
			}
			logf("port %d is free on 127.0.0.1 but taken on [::1]; trying another", p)
		case err4 == nil:
			logf("listening on 127.0.0.1 only ([::1]: %v)", err6)
			return []net.Listener{v4}, nil
		case err6 == nil:
			logf("listening on [::1] only (127.0.0.1: %v)", err4)
			return []net.Listener{v6}, nil
		default:
			return nil, fmt.Errorf("can't listen on localhost: %w", errors.Join(err4, err6))
		}
	}
	return nil, fmt.Errorf("no random port was free on both 127.0.0.1 and [::1] after %d tries: %w", randomPortTries, inUse)
}

// listenOne binds one address and explains a port conflict.
func listenOne(ip string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr) // an IP literal binds its own family only
	if isAddrInUse(err) {
		return nil, &PortInUseError{Addr: addr, Port: port, err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("can't listen on %s: %w", addr, err)
	}
	return l, nil
}

// PortInUseError reports that the redirect URL's fixed port can't be bound.
type PortInUseError struct {
	Addr string // the address that couldn't be bound, like "127.0.0.1:8400"
	Port int    // the redirect URL's port
	err  error  // from net.Listen
}

// Error says which port is taken.
func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d (%s) is already in use, or reserved by the system: %v", e.Port, e.Addr, e.err)
}

// Remedy says what to do about the port, as a sentence of its own.
func (e *PortInUseError) Remedy() string {
	hint := ""
	if runtime.GOOS == "windows" { // Hyper-V, WinNAT and Docker reserve blocks of ports
		hint = " (see `netsh interface ipv4 show excludedportrange protocol=tcp`)"
	}
	return "Stop the program using port " + strconv.Itoa(e.Port) + ", or put another port in the redirect URL " +
		"(loopback redirect URIs match on any port), or leave the port out to use a random free one" + hint + "."
}

// Unwrap returns the listen error.
func (e *PortInUseError) Unwrap() error { return e.err }
