package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Opener shows url to the user, normally by opening it in a browser. It
// returns once the browser was launched, not when the user is done.
type Opener func(ctx context.Context, url string) error

// launchWait is how long a launcher may run before it is taken to be the
// browser itself. Launchers (xdg-open, open, wslview, powershell's
// Start-Process) return within a second, but some setups start the browser in
// the foreground ($BROWSER=firefox, xdg-open's generic mode), and the sign-in
// must not wait for the browser to be closed.
const launchWait = 3 * time.Second

// Default returns the system's way to open a URL, trying in order:
//
//  1. the commands in $BROWSER (outside Windows), the convention Python's
//     webbrowser and xdg-open follow and what VS Code sets in dev containers,
//     Codespaces and WSL remotes so that the browser opens on the user's side;
//  2. under WSL, the Windows browser: wslview, then PowerShell's
//     Start-Process, then cmd.exe's start;
//  3. github.com/pkg/browser: xdg-open (or x-www-browser, www-browser) on
//     Linux and the BSDs, open on macOS, ShellExecute on Windows.
//
// Only http and https URLs are opened, so that a URL can't become a command
// line option or a local file. The launchers' and the browsers' output goes
// to /dev/null: never to standard output,
// which may be the program's data, nor to standard error, where the user
// reads the credential's prompts.
func Default() Opener { return newSystem().open }

// system is what Default needs from the machine; tests replace the parts.
type system struct {
	goos       string
	getenv     func(string) string
	readFile   func(string) ([]byte, error)
	lookPath   func(string) (string, error)
	start      func(ctx context.Context, name string, args ...string) error // runs a launcher
	pkgBrowser func(ctx context.Context, url string) error
}

func newSystem() system {
	return system{
		goos:     runtime.GOOS,
		getenv:   os.Getenv,
		readFile: os.ReadFile,
		lookPath: exec.LookPath,
		start: func(ctx context.Context, name string, args ...string) error {
			return launch(ctx, launchWait, name, args...)
		},
		pkgBrowser: openWithPkgBrowser,
	}
}

// open tries each way to open rawURL until one works.
func (s system) open(ctx context.Context, rawURL string) error {
	if err := checkURL(rawURL); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var errs []error
	try := func(name string, args ...string) bool {
		err := s.start(ctx, name, args...)
		if err == nil {
			return true
		}
		errs = append(errs, err)
		return false
	}
	if s.goos != "windows" {
		for _, argv := range browserEnvCommands(s.getenv("BROWSER"), rawURL) {
			if try(argv[0], argv[1:]...) {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	if s.goos == "linux" && isWSL(s.getenv, s.readFile) {
		for _, argv := range wslCommands(rawURL) {
			path, ok := s.findWindowsCommand(argv[0])
			if !ok {
				continue // wslu isn't installed everywhere; Windows' PATH may be hidden
			}
			if try(path, argv[1:]...) {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	err := s.pkgBrowser(ctx, rawURL)
	if err == nil {
		return nil
	}
	errs = append(errs, err)
	return joinErrors(errs)
}

// checkURL accepts absolute http and https URLs without whitespace or control
// characters: what an authorize URL is, and nothing a launcher could read as
// an option ("-..."), a file or a second argument.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("only http and https URLs are opened, not %q", clip(raw))
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("the URL contains whitespace or control characters")
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// windowsCommandPaths are where WSL mounts Windows' own commands, for when
// Windows' PATH isn't appended to ours (appendWindowsPath=false in wsl.conf).
var windowsCommandPaths = map[string]string{
	"powershell.exe": "/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe",
	"cmd.exe":        "/mnt/c/Windows/System32/cmd.exe",
}

// findWindowsCommand finds name on PATH, or at its usual place under /mnt/c.
func (s system) findWindowsCommand(name string) (string, bool) {
	if p, err := s.lookPath(name); err == nil {
		return p, true
	}
	if p, ok := windowsCommandPaths[name]; ok {
		if _, err := s.lookPath(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// joinErrors is every way's failure on one line: "my-browser: exit status
// 1; xdg-open: exit status 3 (...)".
func joinErrors(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return &openError{msg: strings.Join(msgs, "; "), errs: errs}
}

// openError is the failure of every way to open a browser.
type openError struct {
	msg  string
	errs []error
}

func (e *openError) Error() string   { return e.msg }
func (e *openError) Unwrap() []error { return e.errs }
