package azinteractive_test

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// saveScreenshots makes TestChromium save a PNG of each page it visits under
// testdata/screenshots, so that people can look at the pages:
//
//	go test -run Chromium . -screenshots
var saveScreenshots = flag.Bool("screenshots", false, "TestChromium: save PNGs of the sign-in pages under testdata/screenshots")

// chromiumGuard bounds each wait on the browser or on a sign-in, so that a
// page that never shows up fails the test instead of hanging it until go
// test's own timeout. It is not an assertion on speed: a healthy step takes
// milliseconds.
const chromiumGuard = 30 * time.Second

// chromiumNames are the executable names of Chromium on Debian (the CI
// image), other distributions, and Chrome.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome"}

// startChromium starts one headless Chromium for a test and its subtests, and
// returns a chromedp context holding it. Without Chromium the test skips, or
// fails under CI, where .ci/run installs it.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium not installed: .ci/run must apt-get install chromium")
		}
		t.Skip("install chromium (apt-get install chromium) to run the real-browser tests")
	}
	// chromedp's defaults (quiet, automation-friendly, /dev/shm off for small
	// containers, no keyring) and the flags of issue #4, some repeated to be
	// explicit.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		// CI runs as root in a container, where Chromium's sandbox can't start.
		chromedp.NoSandbox,
		// A fresh profile: no cookies, history or settings from another run.
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoFirstRun,
		// Nothing but the test's own loopback servers: no update checks,
		// field trials or sync, so the tests run offline and don't wait on
		// the network.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-gpu", true),
		// entratest serves HTTPS with a certificate it made up at start, which
		// only its own http.Client trusts. Trusting it in a test browser's
		// fresh profile is what a developer does for a local identity
		// provider; the loopback redirect server is plain http and isn't
		// affected. Never do this outside tests.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(900, 700),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	// Cleanups run last-in first-out: the browser exits (cancelAlloc waits for
	// the process) before t.TempDir removes its profile.
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return browserCtx
}

// browserTab is one tab of the test browser, in a browser context of its own:
// its cookies and storage are apart from other tabs'.
type browserTab struct {
	t   *testing.T
	ctx context.Context
	// opened receives the result of each navigation openURL made.
	opened chan error
}

// newTab opens a tab with a fresh browser context: a new browser as far as
// entratest's session cookie goes.
func newTab(t *testing.T, browserCtx context.Context) *browserTab {
	return openTab(t, browserCtx, chromedp.WithNewBrowserContext())
}

func openTab(t *testing.T, parent context.Context, opts ...chromedp.ContextOption) *browserTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, opts...)
	t.Cleanup(cancel)
	// The first Do creates the tab; it must not have a deadline, which would
	// close the tab when it passes.
	require.NoError(t, chromedp.Do(ctx), "opening a tab")
	return &browserTab{t: t, ctx: ctx, opened: make(chan error, 1)}
}

// openURL is the credential's OpenURL: it loads the sign-in page in the tab,
// as the system browser would, and tells the test, which then plays the user.
func (b *browserTab) openURL(ctx context.Context, u string) error {
	tabCtx, cancel := context.WithTimeout(b.ctx, chromiumGuard)
	defer cancel()
	// The credential giving up stops the navigation too.
	defer context.AfterFunc(ctx, cancel)()
	err := chromedp.Do(tabCtx, chromedp.Navigate(u))
	b.tellOpened(err)
	return err
}

// tellOpened hands the test the outcome of opening the sign-in page, unless
// the test is over.
func (b *browserTab) tellOpened(err error) {
	select {
	case b.opened <- err:
	case <-b.ctx.Done():
	}
}

// waitOpened waits until the credential opened the sign-in page in the tab,
// failing if the sign-in p ends first.
func (b *browserTab) waitOpened(p *pendingSignIn) {
	b.t.Helper()
	select {
	case err := <-b.opened:
		require.NoError(b.t, err, "loading the sign-in page")
	case <-p.done:
		b.t.Fatalf("the sign-in ended before the browser opened: %v", p.err)
	case <-time.After(chromiumGuard):
		b.t.Fatal("the credential didn't open the browser")
	}
}

// do runs actions in the tab.
func (b *browserTab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, chromiumGuard)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

// run runs an action in the tab and returns its value.
func run[T any](b *browserTab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, chromiumGuard)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(b.t, err)
	return v
}

// waitStep waits for entratest's page step (the entratest-step meta tag:
// "password", "pick", ...).
func (b *browserTab) waitStep(step string) {
	b.t.Helper()
	b.do(chromedp.WaitReady(chromedp.CSS(`meta[name="entratest-step"][content="` + step + `"]`)))
}

// afterEntratest selects sel on a page that isn't entratest's: one that the
// credential's loopback server shows, or sends the browser to. Waiting for it
// waits out entratest's form_post page, which the browser may still show
// when the credential already has the code.
func afterEntratest(sel string) chromedp.CSS {
	return chromedp.CSS(`head:not(:has(meta[name="entratest-step"])) + body ` + sel)
}

// text returns the visible text of the element sel.
func (b *browserTab) text(sel string) string {
	b.t.Helper()
	return run(b, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// value returns the value of the input sel.
func (b *browserTab) value(sel string) string {
	b.t.Helper()
	return run(b, chromedp.Value(chromedp.CSS(sel)))
}

// focused returns the id of the focused element.
func (b *browserTab) focused() string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
}

// location returns the tab's URL.
func (b *browserTab) location() string {
	b.t.Helper()
	return run(b, chromedp.Location())
}

// screenshot saves a PNG of the whole page as testdata/screenshots/name.png
// when -screenshots is set.
func (b *browserTab) screenshot(name string) {
	b.t.Helper()
	if !*saveScreenshots {
		return
	}
	png := run(b, chromedp.FullScreenshot(100)) // quality 100 is PNG
	dir := filepath.Join("testdata", "screenshots")
	require.NoError(b.t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, name+".png")
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.t.Logf("saved %s", path)
}

// screenshotDark is screenshot with the page in dark mode
// (prefers-color-scheme: dark), for the pages that have one.
func (b *browserTab) screenshotDark(name string) {
	b.t.Helper()
	if !*saveScreenshots {
		return
	}
	scheme := func(v string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}},
			})
			return err
		})
	}
	b.do(scheme("dark"))
	defer b.do(scheme(""))
	b.screenshot(name)
}

// systemBrowser is an OpenURL that opens the sign-in page in a new tab of
// b's browser context, as the system browser does: the new tab's history
// starts at the sign-in page (a tab that chromedp opens starts at
// about:blank). Scripts may close such a tab. closed receives whether the
// tab closed itself before the guard ran out.
func (b *browserTab) systemBrowser() (openURL func(context.Context, string) error, closed <-chan bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, chromiumGuard)
	b.t.Cleanup(cancel)
	// Subscribed now, so no event is missed.
	destroyed := chromedp.BrowserEvents(ctx, target.TargetDestroyed)
	ids := make(chan target.ID, 1)
	done := make(chan bool, 1)
	go func() {
		var id target.ID
		select {
		case id = <-ids:
		case <-ctx.Done():
			done <- false
			return
		}
		for ev, err := range destroyed {
			if err != nil {
				done <- false
				return
			}
			if ev.TargetID == id {
				done <- true
				return
			}
		}
		done <- false
	}()
	openURL = func(_ context.Context, u string) error {
		res, err := chromedp.CallBrowser(ctx, target.CreateTarget, target.CreateTargetParams{
			URL: u, BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
		})
		if err == nil {
			select {
			case ids <- res.TargetID:
			default: // a second sign-in with this opener; the test watches the first tab
			}
		}
		b.tellOpened(err)
		return err
	}
	return openURL, done
}

// pendingSignIn is a sign-in running in a goroutine while the test plays
// the user in the browser.
type pendingSignIn struct {
	done chan struct{}
	rec  azinteractive.AuthenticationRecord
	err  error
}

// authenticator is a credential that signs a user in.
type authenticator interface {
	Authenticate(context.Context, *policy.TokenRequestOptions) (azinteractive.AuthenticationRecord, error)
}

// startSignIn calls cred.Authenticate in a goroutine.
func startSignIn(ctx context.Context, cred authenticator) *pendingSignIn {
	p := &pendingSignIn{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.rec, p.err = cred.Authenticate(ctx, nil)
	}()
	return p
}

// waitSignIn waits for the sign-in p to end. If it doesn't, the failure
// says which page the tab is stuck on.
func (b *browserTab) waitSignIn(p *pendingSignIn) (azinteractive.AuthenticationRecord, error) {
	b.t.Helper()
	select {
	case <-p.done:
		return p.rec, p.err
	case <-time.After(chromiumGuard):
		b.t.Fatalf("the sign-in didn't finish; the tab shows %s", b.describe())
		return azinteractive.AuthenticationRecord{}, nil
	}
}

// describe names the tab's page for a failure message: its title and its
// URL without the query, which may hold the state or a code.
func (b *browserTab) describe() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "nothing: " + err.Error()
	}
	title, _ := chromedp.Run(ctx, chromedp.Title())
	if u, err := url.Parse(loc); err == nil {
		u.RawQuery, u.Fragment = "", ""
		loc = u.String()
	}
	// entratest's error message, if any, says why a step was refused.
	msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("[role=alert]") || {}).innerText || ""`))
	return fmt.Sprintf("%q at %s %q", title, loc, msg)
}
