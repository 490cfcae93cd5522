package browser

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"
)

// launch starts a launcher and waits up to wait for it to exit. A non-zero
// exit within that time is an error (the next way gets a try); still running
// after it counts as success, and a goroutine reaps the process when it ends.
//
// It doesn't use exec.CommandContext: a launcher that turns out to be the
// browser would then be killed when the sign-in's context ends, closing the
// user's browser. ctx only aborts the wait, killing a launcher that hasn't
// finished starting.
//
// The child's stdin, stdout and stderr are /dev/null. Never our stdout,
// which may carry the program's output (okta-aws-cli#91); not our stderr
// either, where a browser the launcher starts would keep writing its own
// diagnostics (a broken DISPLAY made chromium print shell errors over the
// sign-in prompt) for as long as it runs; and no pipe, which would tie a
// goroutine to the browser's lifetime. A failed launcher is explained by its
// exit status instead (exitError). Stdin is /dev/null so that a terminal
// browser can't take over the terminal.
func launch(ctx context.Context, wait time.Duration, name string, args ...string) error {
	cmd := exec.Command(name, args...) // Stdin, Stdout and Stderr nil: /dev/null
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-exited:
		if err != nil {
			return exitError(filepath.Base(name), err)
		}
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		cmd.Process.Kill()
		<-exited
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

// exitError names the launcher that failed and, for xdg-open, what its exit
// status means: its own message went to /dev/null with the browser's.
func exitError(name string, err error) error {
	var exit *exec.ExitError
	if errors.As(err, &exit) && (name == "xdg-open" || name == "") {
		if why, ok := xdgOpenExits[exit.ExitCode()]; ok {
			if name == "" {
				name = "xdg-open"
			}
			return fmt.Errorf("%s: %w (%s)", name, err, why)
		}
	}
	if name == "" {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}
