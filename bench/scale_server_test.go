package bench

import (
	"bufio"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/azinteractive/azinteractive/bench/internal/loopclient"
	"github.com/azinteractive/azinteractive/entratest"
)

// serveEnv makes this test binary serve entratest (see serveMain) instead of
// running benchmarks.
const serveEnv = "AZINTERACTIVE_BENCH_SERVE_ENTRATEST"

// scaleRefreshIn is the refresh_in of the scale benchmarks' server's tokens:
// they are valid for an hour, so both libraries cache them, but a second
// after it was issued a token needs refreshing, and the next silent request
// for its scope redeems the refresh token (MSAL's proactive refresh) and
// replaces it. entratest rounds refresh_in up to whole seconds, so a second
// is the least.
const scaleRefreshIn = time.Second

// serverInfo is what the server process tells the benchmark process.
type serverInfo struct {
	URL  string `json:"url"`
	Cert string `json:"cert"` // PEM
}

// serveMain serves entratest until its standard input closes (the benchmark
// process exited or stopped it). The scale benchmarks' server runs in a
// process of its own so that its own memory (it keeps every request and
// every secret it issued) and garbage collection stay out of what the
// benchmarks measure of the libraries: retained memory and time.
func serveMain() int {
	srv := entratest.NewServer(&entratest.Options{RefreshIn: scaleRefreshIn})
	defer srv.Close()
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := json.NewEncoder(os.Stdout).Encode(serverInfo{URL: srv.URL(), Cert: string(certPEM)}); err != nil {
		fmt.Fprintln(os.Stderr, "entratest server:", err)
		return 1
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// remoteServer is an entratest server in another process.
type remoteServer struct {
	serverInfo
	cmd   *exec.Cmd
	stdin io.Closer
}

func startRemoteServer() (*remoteServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &remoteServer{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &s.serverInfo)
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("the entratest server process said nothing useful: %w", err)
	}
	return s, nil
}

func (s *remoteServer) close() {
	s.stdin.Close()
	_ = s.cmd.Wait()
}

// client returns a new HTTP client for the server, with its own connections
// and request count.
func (s *remoteServer) client() (*loopclient.Client, error) {
	return loopclient.New(s.URL, []byte(s.Cert))
}

func (s *remoteServer) cloud() cloud.Configuration {
	return cloud.Configuration{ActiveDirectoryAuthorityHost: s.URL + "/"}
}
