// Package browser opens the sign-in URL in the user's browser, and tells
// whether one can be expected at all. It wraps github.com/pkg/browser, as
// MSAL Go does, and fixes what users trip over with it: chatter on the
// program's stdout (okta-aws-cli#91) or over its prompts, no way out under
// WSL without a Linux browser (msal-python#625, azure-cli#33092), $BROWSER
// ignored without xdg-open (dev containers), and launchers that never return.
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

// Default returns the system's way to open a URL in a browser, which returns
// once the browser was launched. It tries, in order, the commands in $BROWSER
// (outside Windows; VS Code sets it in dev containers, Codespaces and WSL
// remotes), under WSL the Windows browser (wslview, PowerShell's
// Start-Process, cmd.exe's start), and pkg/browser (xdg-open or x-www-browser,
// open on macOS, ShellExecute on Windows).
//
// Only http and https URLs are opened, so that a URL can't become a command
// line option or a local file, and the launchers' and browsers' output goes
// to /dev/null, away from the program's stdout and the prompts on stderr.
func Default() func(ctx context.Context, url string) error {
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

// open accepts absolute http(s) URLs without whitespace or control
// characters: nothing a launcher could take for an option, file or argument.
func (s system) open(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("invalid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		shown := rawURL
		if len(shown) > 40 {
			shown = shown[:40] + "..."
		}
		return fmt.Errorf("only http and https URLs are opened, not %q", shown)
	}
	if strings.ContainsFunc(rawURL, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("the URL contains whitespace or control characters")
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
			// wslu isn't installed everywhere; Windows' PATH may not be ours.
			for _, name := range []string{argv[0], windowsCommandPaths[argv[0]]} {
				if _, err := s.lookPath(name); name != "" && err == nil {
					cmds = append(cmds, append([]string{name}, argv[1:]...))
					break
				}
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

// browserEnvCommands parses $BROWSER as Python's webbrowser and xdg-open do:
// commands separated by colons, split on spaces (no shell), where "%s" is the
// URL (appended when absent) and "%%" a percent sign.
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

func (e openError) Error() string { return strings.ReplaceAll(errors.Join(e...).Error(), "\n", "; ") }

func (e openError) Unwrap() []error { return e }
