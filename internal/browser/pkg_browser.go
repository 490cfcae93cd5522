package browser

import (
	"context"
	"sync"
	"time"

	pkgbrowser "github.com/pkg/browser"
)

// redirectOutput sends pkg/browser's launcher output to /dev/null, once.
//
// pkg/browser sends the launcher's output to os.Stdout by default, where
// xdg-open's and the browsers' chatter ("Opening in existing browser
// session.") corrupts a program whose stdout is data, like a credential
// helper printing JSON (okta-aws-cli#91). Not to our stderr either: the
// browser xdg-open starts inherits it and writes its own diagnostics there,
// over the sign-in prompt, for as long as it runs. A nil writer gives the
// child /dev/null itself; io.Discard would make os/exec copy through a pipe,
// and pkg/browser's cmd.Run would then wait until every process holding the
// pipe exits, including the browser: the sign-in would hang until the
// browser is closed.
//
// These are package variables of pkg/browser, shared with anything else in
// the program that uses it (MSAL's interactive flow does), hence set once
// and only when our default opener is used.
var redirectOutput = sync.OnceFunc(func() {
	pkgbrowser.Stdout = nil
	pkgbrowser.Stderr = nil
})

// openWithPkgBrowser opens url with pkg/browser, which has no context and
// waits for its launcher: give up waiting when ctx ends or the launcher has
// run for launchWait (it is then the browser itself). The goroutine ends when
// the launcher does.
func openWithPkgBrowser(ctx context.Context, url string) error {
	redirectOutput()
	done := make(chan error, 1)
	go func() { done <- pkgbrowser.OpenURL(url) }()
	t := time.NewTimer(launchWait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return exitError("", err)
		}
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
