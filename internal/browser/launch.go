package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
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
// The child's stdout and stderr are our stderr: never our stdout, which may
// carry the program's output (okta-aws-cli#91), and an *os.File rather than
// a pipe, so that no copying goroutine waits on a browser that inherited it.
// Stdin is /dev/null, so that a terminal browser can't take over the
// terminal.
func launch(ctx context.Context, wait time.Duration, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("browser: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("browser: %s: %w", name, err)
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
