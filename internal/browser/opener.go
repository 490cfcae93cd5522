// Package browser opens the sign-in URL in the user's browser, and tells
// whether a browser can be expected at all.
//
// It wraps github.com/pkg/browser (what MSAL Go uses) and fixes what users
// trip over with it: the launcher's and the browser's chatter landing on the
// program's stdout (okta-aws-cli#91) or over its prompts on stderr, no way out
// under WSL when xdg-open has no browser (msal-python#625, azure-cli#33092),
// $BROWSER ignored when xdg-open isn't installed (dev containers,
// Codespaces), and a launcher that never returns blocking the sign-in.
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
)

// Opener shows url to the user, normally by opening it in a browser. It
// returns once the browser was launched, not when the user is done.
type Opener func(ctx context.Context, url string) error

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
// to /dev/null: never to standard output, which may be the program's data,
// nor to standard error, where the user reads the credential's prompts.
func Default() Opener {
	return system{
		goos:     runtime.GOOS,
		getenv:   os.Getenv,
		readFile: os.ReadFile,
		lookPath: exec.LookPath,
		start: func(ctx context.Context, name string, args ...string) error {
			return launch(ctx, launchWait, name, args...)
		},
		pkgBrowser: openWithPkgBrowser,
	}.open
}

// system is what Default needs from the machine; tests replace the parts.
type system struct {
	goos       string
	getenv     func(string) string
	readFile   func(string) ([]byte, error)
	lookPath   func(string) (string, error)
	start      func(ctx context.Context, name string, args ...string) error // runs a launcher
	pkgBrowser func(ctx context.Context, url string) error
}

// open tries each way to open rawURL until one works.
func (s system) open(ctx context.Context, rawURL string) error {
	if err := checkURL(rawURL); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var cmds [][]string
	if s.goos != "windows" {
		cmds = browserEnvCommands(s.getenv("BROWSER"), rawURL)
	}
	if s.goos == "linux" && isWSL(s.getenv, s.readFile) {
		for _, argv := range wslCommands(rawURL) {
			// wslu isn't installed everywhere; Windows' PATH may be hidden.
			if path, ok := s.findWindowsCommand(argv[0]); ok {
				cmds = append(cmds, append([]string{path}, argv[1:]...))
			}
		}
	}
	var errs openError
	for _, argv := range cmds {
		err := s.start(ctx, argv[0], argv[1:]...)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		errs = append(errs, err)
	}
	if err := s.pkgBrowser(ctx, rawURL); err != nil {
		return append(errs, err)
	}
	return nil
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
		if len(raw) > 40 {
			raw = raw[:40] + "..."
		}
		return fmt.Errorf("only http and https URLs are opened, not %q", raw)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("the URL contains whitespace or control characters")
	}
	return nil
}

// browserEnvCommands parses $BROWSER: a colon-separated list of commands,
// tried in order, where "%s" stands for the URL (appended when absent) and
// "%%" for a percent sign, as in Python's webbrowser and xdg-open. Commands
// are split on spaces, with no shell.
func browserEnvCommands(env, url string) [][]string {
	var cmds [][]string
	subst := strings.NewReplacer("%%", "%", "%s", url)
	for _, entry := range strings.Split(env, ":") {
		fields := strings.Fields(entry)
		if len(fields) == 0 {
			continue
		}
		if !strings.Contains(entry, "%s") {
			fields = append(fields, "%s")
		}
		for i, f := range fields {
			fields[i] = subst.Replace(f)
		}
		cmds = append(cmds, fields)
	}
	return cmds
}

// openError is the failure of every way to open a browser, on one line:
// "my-browser: exit status 1; xdg-open: exit status 3 (...)".
type openError []error

func (e openError) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e openError) Unwrap() []error { return e }
