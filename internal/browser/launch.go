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
// browser itself ($BROWSER=firefox), which the sign-in mustn't wait for.
const launchWait = 3 * time.Second

// launch starts a launcher and waits up to wait for it (see await). Not with
// exec.CommandContext, which would kill a launcher that is the browser when
// the sign-in's context ends; ctx only aborts the wait.
//
// The child's stdin, stdout and stderr are /dev/null: our stdout may be the
// program's data (okta-aws-cli#91), a browser would write over our prompts on
// stderr, a pipe would tie a goroutine to the browser's lifetime, and a
// terminal browser mustn't take over the terminal.
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

// redirectOutput gives pkg/browser's launchers /dev/null too: a nil writer,
// as io.Discard would make its cmd.Run wait for the browser holding the pipe.
// These variables are shared with MSAL, hence set only when Default is used.
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

// await waits up to wait for a launcher: its failure is an error (the next
// way gets a try), running on is success; ctx ending first calls kill, if set.
// The error names the launcher that failed (name, "" for pkg/browser's) and
// what xdg-open's exit status means, as its own message went to /dev/null.
func await(ctx context.Context, wait time.Duration, name string, exited <-chan error, kill func()) error {
	var err error
	select {
	case err = <-exited:
	case <-time.After(wait): // collected when unreferenced, since Go 1.23
		return nil
	case <-ctx.Done():
		if kill != nil {
			kill()
		}
		return ctx.Err()
	}
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

// xdgOpenExits are xdg-open's documented exit statuses.
var xdgOpenExits = map[int]string{
	1: "error in command line syntax",
	2: "one of the files passed on the command line did not exist",
	3: "a required tool could not be found: no browser is configured for the desktop",
	4: "the action failed",
}
