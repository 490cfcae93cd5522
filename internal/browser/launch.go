package browser

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	pkgbrowser "github.com/pkg/browser"
)

// launchWait is how long a launcher may run before it is taken to be the
// browser itself: launchers return within a second, but some setups start the
// browser in the foreground ($BROWSER=firefox, xdg-open's generic mode), and
// the sign-in must not wait for the browser to be closed.
const launchWait = 3 * time.Second

// launch starts a launcher and waits up to wait for it (see await).
//
// It doesn't use exec.CommandContext: a launcher that turns out to be the
// browser would then be killed when the sign-in's context ends, closing the
// user's browser. ctx only aborts the wait, killing a launcher that hasn't
// finished starting.
//
// The child's stdin, stdout and stderr are /dev/null. Never our stdout, which
// may carry the program's output (okta-aws-cli#91); not our stderr either,
// where a browser the launcher starts would write its own diagnostics over
// the sign-in prompt for as long as it runs; and no pipe, which would tie a
// goroutine to the browser's lifetime. Stdin is /dev/null so that a terminal
// browser can't take over the terminal.
func launch(ctx context.Context, wait time.Duration, name string, args ...string) error {
	cmd := exec.Command(name, args...) // Stdin, Stdout and Stderr nil: /dev/null
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return await(ctx, wait, filepath.Base(name), exited, func() {
		cmd.Process.Kill()
		<-exited
	})
}

// redirectOutput gives pkg/browser's launchers /dev/null, for launch's
// reasons. A nil writer, not io.Discard, which would make os/exec copy
// through a pipe that the browser holds open, so that pkg/browser's cmd.Run
// would wait for the browser to close. These variables are shared with
// anything else that uses pkg/browser (MSAL does), hence set only when our
// default opener is used.
var redirectOutput = sync.OnceFunc(func() {
	pkgbrowser.Stdout = nil
	pkgbrowser.Stderr = nil
})

// openWithPkgBrowser opens url with pkg/browser, which has no context; the
// goroutine ends when its launcher does.
func openWithPkgBrowser(ctx context.Context, url string) error {
	redirectOutput()
	done := make(chan error, 1)
	go func() { done <- pkgbrowser.OpenURL(url) }()
	return await(ctx, launchWait, "", done, nil)
}

// await waits up to wait for a launcher to exit. A failure within that time
// is an error (the next way gets a try); still running after it counts as
// success. When ctx ends first, await calls kill, if any, and returns
// ctx.Err().
func await(ctx context.Context, wait time.Duration, name string, exited <-chan error, kill func()) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-exited:
		return exitError(name, err)
	case <-t.C:
		return nil
	case <-ctx.Done():
		if kill != nil {
			kill()
		}
		return ctx.Err()
	}
}

// xdgOpenExits are xdg-open's documented exit statuses (xdg-utils' man page).
var xdgOpenExits = map[int]string{
	1: "error in command line syntax",
	2: "one of the files passed on the command line did not exist",
	3: "a required tool could not be found: no browser is configured for the desktop",
	4: "the action failed",
}

// exitError names the launcher that failed ("" for pkg/browser's, where the
// exit statuses are xdg-open's) and what xdg-open's exit status means: its own
// message went to /dev/null.
func exitError(name string, err error) error {
	var exit *exec.ExitError
	if errors.As(err, &exit) && (name == "xdg-open" || name == "") {
		if why, ok := xdgOpenExits[exit.ExitCode()]; ok {
			return fmt.Errorf("xdg-open: %w (%s)", err, why)
		}
	}
	if name == "" || err == nil {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}
