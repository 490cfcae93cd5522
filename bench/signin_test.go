package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azinteractive/azinteractive/entratest"
)

// BenchmarkSignIn is scenario 7: a full sign-in on a new credential, from
// constructing it to the first token: the device code flow (the prompt
// approves the code at once; MSAL's first poll is 50 ms after the prompt),
// and the browser flow with the entratest stand-in browser playing the user.
//
// flow=browser opens the sign-in page the way a program does by default:
// MSAL's and azinteractive's default openers run xdg-open, here a stand-in
// that hands the URL back to this process (see xdgOpen). That is the only
// way to drive azidentity's browser credential. flow=browser-openurl is
// azinteractive with the stand-in browser as its OpenURL, no process
// started.
//
// Allocations count the whole process, so they include entratest's and the
// stand-in browser's work for each sign-in, the same for both libraries up
// to the number of requests each sends.
func BenchmarkSignIn(b *testing.B) {
	for _, l := range libs {
		b.Run("lib="+l.name+"/flow=devicecode", func(b *testing.B) {
			srv := newServer(b)
			a := &approver{srv: srv}
			req := caeRequest(armScope)
			b.ReportAllocs()
			for b.Loop() {
				srv.ResetRequests()
				cred, err := l.deviceCode(srv, a.prompt, caches{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := cred.GetToken(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("lib="+l.name+"/flow=browser", func(b *testing.B) {
			srv := newServer(b)
			xdgOpen(b, srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword))
			signInBrowser(b, srv, l, nil)
		})
	}
	b.Run("lib="+libOurs+"/flow=browser-openurl", func(b *testing.B) {
		srv := newServer(b)
		signInBrowser(b, srv, libs[0], srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword))
	})
}

func signInBrowser(b *testing.B, srv *entratest.Server, l lib, open func(context.Context, string) error) {
	b.Helper()
	req := caeRequest(armScope)
	b.ReportAllocs()
	for b.Loop() {
		srv.ResetRequests()
		cred, err := l.browser(srv, open)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cred.GetToken(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	if errs := srv.BrowserErrors(); len(errs) > 0 {
		b.Fatalf("the stand-in browser failed: %v", errs)
	}
}

// openerURLEnv tells the stand-in xdg-open where to send the URL it is asked
// to open.
const openerURLEnv = "AZINTERACTIVE_BENCH_OPENER_URL"

// isFakeOpener reports whether this test binary was started as the stand-in
// xdg-open that xdgOpen puts on PATH.
func isFakeOpener() bool {
	return filepath.Base(os.Args[0]) == "xdg-open" && os.Getenv(openerURLEnv) != ""
}

// fakeOpenerMain is the stand-in xdg-open: it posts its argument to the
// benchmark that started the sign-in, and exits when that benchmark's
// stand-in browser is done, as a launcher exits once the browser has the
// page.
func fakeOpenerMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "xdg-open: expected one URL")
		return 1
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Post(os.Getenv(openerURLEnv), "text/plain", strings.NewReader(args[0]))
	if err != nil {
		fmt.Fprintln(os.Stderr, "xdg-open:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "xdg-open: the stand-in browser failed")
		return 1
	}
	return 0
}

// xdgOpen makes this test binary the xdg-open on PATH for the rest of the
// benchmark, and browse the browser it opens URLs in. It also makes the
// machine look like a desktop, so that azinteractive doesn't take it for a
// headless one and print the URL instead.
func xdgOpen(b *testing.B, browse func(ctx context.Context, url string) error) {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := os.Symlink(exe, filepath.Join(dir, "xdg-open")); err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := io.ReadAll(r.Body)
		if err == nil {
			err = browse(r.Context(), string(u))
		}
		if err != nil {
			// The error is in srv.BrowserErrors; the URL isn't logged.
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(ts.Close)
	b.Setenv(openerURLEnv, ts.URL)
	b.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	for name, v := range map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "", "BROWSER": "", "SSH_CONNECTION": "", "SSH_TTY": ""} {
		b.Setenv(name, v)
	}
}
