package azinteractive

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/azinteractive/azinteractive/internal/browser"
	"github.com/azinteractive/azinteractive/internal/loopback"
)

// open shows the user the sign-in page. With the default opener it says on
// standard error that a browser was opened and how long the credential
// waits. When no browser can be opened it fails at once with a
// CredentialUnavailableError, unless PrintURLIfNoBrowser asks it to print
// the URL and wait.
func (f *browserFlow) open(ctx context.Context, authURL string) error {
	opener := f.o.OpenURL
	var why error
	if opener == nil {
		if headless, reason := browser.Headless(f.o.env, f.o.goos); headless {
			why = errors.New(reason)
		} else {
			opener = browser.Default()
		}
	}
	if opener != nil {
		err := opener(ctx, authURL)
		if err == nil {
			if f.o.OpenURL == nil {
				_, _ = fmt.Fprintf(f.o.stderr, "Opened a browser to sign in; waiting up to %s (Ctrl-C to cancel)\n", waitLeft(ctx))
			}
			return nil
		}
		if ctx.Err() != nil {
			return withContextCause(ctx, err)
		}
		why = fmt.Errorf("opening one failed: %s", networkLine(err.Error()))
	}
	if f.o.RequireBrowser || !f.o.PrintURLIfNoBrowser {
		return errNoBrowser(why)
	}
	_, err := fmt.Fprintf(f.o.stderr, "%s: can't open a browser here: %s.\n"+
		"To sign in, open this URL in a browser on this machine, or on one whose port is forwarded here; waiting up to %s (Ctrl-C to cancel):\n\n%s\n\n",
		credNameBrowser, why, waitLeft(ctx), authURL)
	return err
}

// errNoBrowser is the error of a credential that can't show the sign-in page.
func errNoBrowser(why error) error {
	return newCredentialUnavailableError(credNameBrowser, "can't open a browser", "Use DeviceCodeCredential here, or forward the redirect port "+
		"(RedirectURL \"http://localhost:8400\" and ssh -L 8400:localhost:8400) and set PrintURLIfNoBrowser to have the sign-in URL printed.", why)
}

// errRedirectServer is the error of a redirect server that couldn't start.
func errRedirectServer(err error) error {
	var hint string
	var inUse *loopback.PortInUseError
	if errors.As(err, &inUse) {
		hint = inUse.Remedy()
	}
	return newCredentialUnavailableError(credNameBrowser, "couldn't start the local server that receives the sign-in", hint, err)
}

// waitLeft is how long the sign-in may still take, for a person to read:
// "5m", "1m30s", "2h".
func waitLeft(ctx context.Context) string {
	deadline, ok := ctx.Deadline()
	if !ok {
		return "as long as it takes"
	}
	return humanDuration(time.Until(deadline).Round(time.Second))
}

// humanDuration writes d without zero parts: "5m", not "5m0s". Durations
// that aren't whole seconds are written as time.Duration does ("300ms").
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d%time.Second != 0 {
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}
