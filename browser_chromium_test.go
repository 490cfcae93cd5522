package azinteractive_test

import (
	"context"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestChromium signs in through entratest's pages in a real browser:
// headless Chromium, driven over the DevTools protocol, plays the user. The
// credential opens the sign-in page in a tab, the test types into it, and
// entratest's form_post lands on the credential's loopback server, whose page
// the browser then shows. One browser serves every subtest; each subtest has
// its own browser context, so entratest's session cookie doesn't leak between
// them.
func TestChromium(t *testing.T) {
	// Registered first, so it runs after the browser and the servers are
	// gone; goroutines of earlier tests don't count.
	earlier := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, earlier) })
	browser := startChromium(t)

	// newCred returns a browser credential whose OpenURL loads the sign-in
	// page in tab. entratest's authority host (not login.microsoftonline.com,
	// which only srv.Client reroutes) puts the page at srv's real address.
	newCred := func(t *testing.T, srv *entratest.Server, tab *browserTab, o azinteractive.InteractiveBrowserCredentialOptions) *azinteractive.InteractiveBrowserCredential {
		t.Helper()
		o.ClientOptions = clientOptions(srv)
		o.OpenURL = tab.openURL
		cred, err := azinteractive.NewInteractiveBrowserCredential(&o)
		require.NoError(t, err)
		return cred
	}
	// typePassword fills entratest's sign-in page and submits it with Enter,
	// which must press "Sign in", not "Cancel".
	typePassword := func(tab *browserTab, username, password string) {
		tab.waitStep("password")
		if username != "" {
			tab.do(chromedp.SendKeys(chromedp.CSS("#username"), username))
		}
		tab.do(chromedp.SendKeys(chromedp.CSS("#password"), password+kb.Enter))
	}
	// wantSignedIn checks the built-in success page.
	wantSignedIn := func(t *testing.T, tab *browserTab) {
		t.Helper()
		tab.do(chromedp.WaitVisible(afterEntratest("h1")))
		assert.Equal(t, "You're signed in", tab.text("h1"))
		assert.True(t, strings.HasPrefix(tab.location(), "http://localhost:"), "the loopback server's page")
		assert.Equal(t, "Signed in", run(tab, chromedp.Title()))
		// form_post keeps the code out of every URL, so out of the history.
		history := run(tab, chromedp.NavigationEntries())
		for _, e := range history.Entries {
			u, err := url.Parse(e.URL)
			require.NoError(t, err)
			assert.False(t, u.Query().Has("code"), "a URL in the history has the code")
		}
	}

	t.Run("sign in", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		tab := newTab(t, browser)
		cred := newCred(t, srv, tab, azinteractive.InteractiveBrowserCredentialOptions{})

		p := startSignIn(t.Context(), cred)
		tab.waitOpened(p)
		tab.waitStep("password")
		assert.Equal(t, "Sign in - entratest", run(tab, chromedp.Title()))
		assert.Equal(t, "username", tab.focused(), "the empty username field has the focus")
		tab.screenshot("entratest-password")
		tab.do(
			chromedp.SendKeys(chromedp.CSS("#username"), entratest.DefaultUsername),
			chromedp.SendKeys(chromedp.CSS("#password"), entratest.DefaultPassword),
			chromedp.Click(chromedp.CSS(`button[value="signin"]`)),
		)
		rec, err := tab.waitSignIn(p)
		require.NoError(t, err)
		assert.Equal(t, entratest.DefaultUsername, rec.Username)
		wantSignedIn(t, tab)
		tab.screenshot("loopback-success")
		tab.screenshotDark("loopback-success-dark")
		assert.Empty(t, srv.BrowserErrors())
	})

	t.Run("wrong password, then the right one", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		tab := newTab(t, browser)
		cred := newCred(t, srv, tab, azinteractive.InteractiveBrowserCredentialOptions{})

		p := startSignIn(t.Context(), cred)
		tab.waitOpened(p)
		typePassword(tab, entratest.DefaultUsername, "pw-wrong-7")
		tab.do(chromedp.WaitVisible(chromedp.CSS(`#error[role="alert"]`)))
		assert.Contains(t, tab.text("#error"), "invalid username or password")
		assert.Equal(t, entratest.DefaultUsername, tab.value("#username"), "the username stays")
		assert.Empty(t, tab.value("#password"), "the password doesn't come back")
		assert.Equal(t, "password", tab.focused())
		tab.screenshot("entratest-password-error")
		select {
		case <-p.done:
			t.Fatalf("a wrong password ended the sign-in: %v", p.err)
		default:
		}

		typePassword(tab, "", entratest.DefaultPassword)
		rec, err := tab.waitSignIn(p)
		require.NoError(t, err)
		assert.Equal(t, entratest.DefaultUsername, rec.Username)
		wantSignedIn(t, tab)
	})

	t.Run("cancel", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		tab := newTab(t, browser)
		cred := newCred(t, srv, tab, azinteractive.InteractiveBrowserCredentialOptions{})

		p := startSignIn(t.Context(), cred)
		tab.waitOpened(p)
		tab.waitStep("password")
		tab.do(chromedp.Click(chromedp.CSS(`button[value="cancel"]`)))
		_, err := tab.waitSignIn(p)
		var failed *azinteractive.AuthenticationFailedError
		require.ErrorAs(t, err, &failed)
		assert.Equal(t, "access_denied", failed.ErrorCode)
		assert.Contains(t, err.Error(), "canceled")

		tab.do(chromedp.WaitVisible(afterEntratest("h1")))
		assert.Equal(t, "Sign-in canceled", run(tab, chromedp.Title()))
		assert.Equal(t, "Sign-in canceled", tab.text("h1"))
		assert.Equal(t, "access_denied", tab.text("dd code"))
		assert.Contains(t, tab.text("main"), "AADSTS65004")
		assert.True(t, strings.HasPrefix(tab.location(), "http://localhost:"))
		tab.screenshot("loopback-error")
		tab.screenshotDark("loopback-error-dark")
	})

	t.Run("account picker", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		srv.AddUser(entratest.User{Username: "bob@contoso.com", Password: "pw-bob-7"})
		tab := newTab(t, browser)
		cred := newCred(t, srv, tab, azinteractive.InteractiveBrowserCredentialOptions{})

		p := startSignIn(t.Context(), cred)
		tab.waitOpened(p)
		typePassword(tab, entratest.DefaultUsername, entratest.DefaultPassword)
		_, err := tab.waitSignIn(p)
		require.NoError(t, err)
		wantSignedIn(t, tab)

		// Authenticate always asks the user; with prompt=select_account,
		// entratest offers the account signed in to this browser.
		p = startSignIn(t.Context(), cred)
		tab.waitOpened(p)
		tab.waitStep("pick")
		assert.Equal(t, "Pick an account - entratest", run(tab, chromedp.Title()))
		tiles := run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll("button.tile")].map(b => b.getAttribute("aria-label") || b.innerText)`))
		assert.Equal(t, []string{"Sign in with " + entratest.DefaultUsername, "Use another account"}, tiles)
		tab.screenshot("entratest-pick")

		// Another account, then the picker again, with both.
		tab.do(chromedp.Click(chromedp.CSS(`button[value="other"]`)))
		typePassword(tab, "bob@contoso.com", "pw-bob-7")
		rec, err := tab.waitSignIn(p)
		require.NoError(t, err)
		assert.Equal(t, "bob@contoso.com", rec.Username)
		wantSignedIn(t, tab)

		p = startSignIn(t.Context(), cred)
		tab.waitOpened(p)
		tab.waitStep("pick")
		tab.do(chromedp.Click(chromedp.CSS(`button[aria-label="Sign in with ` + entratest.DefaultUsername + `"]`)))
		rec, err = tab.waitSignIn(p)
		require.NoError(t, err)
		assert.Equal(t, entratest.DefaultUsername, rec.Username, "single sign-on from the picker, no password")
		wantSignedIn(t, tab)
	})

	t.Run("login hint", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		const bob = "bob@contoso.com"
		srv.AddUser(entratest.User{Username: bob, Password: "pw-bob-7"})
		tab := newTab(t, browser)
		cred := newCred(t, srv, tab, azinteractive.InteractiveBrowserCredentialOptions{LoginHint: bob})

		p := startSignIn(t.Context(), cred)
		tab.waitOpened(p)
		tab.waitStep("password")
		assert.Equal(t, bob, tab.value("#username"), "the hint fills in the username")
		assert.Equal(t, "password", tab.focused(), "and the password field has the focus")
		tab.screenshot("entratest-password-hint")
		typePassword(tab, "", "pw-bob-7")
		rec, err := tab.waitSignIn(p)
		require.NoError(t, err)
		assert.Equal(t, bob, rec.Username)
		wantSignedIn(t, tab)

		// The second sign-in opens a new tab, as the system browser does.
		// entratest signs bob in from his session without showing a page,
		// and the success page closes the tab it ends in.
		openURL, closed := tab.systemBrowser()
		o := azinteractive.InteractiveBrowserCredentialOptions{ClientOptions: clientOptions(srv), LoginHint: bob, OpenURL: openURL}
		cred2, err := azinteractive.NewInteractiveBrowserCredential(&o)
		require.NoError(t, err)
		p = startSignIn(t.Context(), cred2)
		tab.waitOpened(p)
		rec, err = tab.waitSignIn(p)
		require.NoError(t, err)
		assert.Equal(t, bob, rec.Username)
		assert.True(t, <-closed, "the success page closes its tab")
	})

	// Pages the application sets for after a successful sign-in.
	landing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!DOCTYPE html><title>Welcome</title><h1>Welcome back to the app</h1>`))
	}))
	defer landing.Close()
	for _, tc := range []struct {
		name      string
		opts      azinteractive.InteractiveBrowserCredentialOptions
		wantURL   string // prefix
		wantTitle string
		wantH1    string
	}{
		{
			name: "custom success page",
			opts: azinteractive.InteractiveBrowserCredentialOptions{
				SuccessPage: template.Must(template.New("").Parse(
					`<!DOCTYPE html><title>Contoso</title><h1>Contoso CLI is signed in</h1>`)),
			},
			wantURL: "http://localhost:", wantTitle: "Contoso", wantH1: "Contoso CLI is signed in",
		},
		{
			name:    "custom redirect",
			opts:    azinteractive.InteractiveBrowserCredentialOptions{SuccessRedirectURL: landing.URL + "/signed-in?from=cli"},
			wantURL: landing.URL + "/signed-in?from=cli", wantTitle: "Welcome", wantH1: "Welcome back to the app",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := entratest.NewServer(nil)
			defer srv.Close()
			tab := newTab(t, browser)
			cred := newCred(t, srv, tab, tc.opts)
			p := startSignIn(t.Context(), cred)
			tab.waitOpened(p)
			typePassword(tab, entratest.DefaultUsername, entratest.DefaultPassword)
			_, err := tab.waitSignIn(p)
			require.NoError(t, err)
			tab.do(chromedp.WaitVisible(afterEntratest("h1")))
			assert.Equal(t, tc.wantH1, tab.text("h1"))
			assert.Equal(t, tc.wantTitle, run(tab, chromedp.Title()))
			assert.True(t, strings.HasPrefix(tab.location(), tc.wantURL), tab.location())
		})
	}

	t.Run("device code page", func(t *testing.T) {
		srv := entratest.NewServer(nil)
		defer srv.Close()
		tab := newTab(t, browser)
		msgs := make(chan azinteractive.DeviceCodeMessage, 1)
		approved := make(chan struct{})
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: clientOptions(srv),
			// Holding the prompt until the test approved the code makes the
			// credential's first poll succeed, rather than wait out
			// entratest's 5-second interval.
			UserPrompt: func(ctx context.Context, m azinteractive.DeviceCodeMessage) error {
				msgs <- m
				select {
				case <-approved:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			},
		})
		require.NoError(t, err)
		p := startSignIn(t.Context(), cred)
		var m azinteractive.DeviceCodeMessage
		select {
		case m = <-msgs:
		case <-p.done:
			t.Fatalf("the sign-in ended before the prompt: %v", p.err)
		case <-time.After(chromiumGuard):
			t.Fatal("the credential didn't prompt")
		}
		tab.do(chromedp.Navigate(m.VerificationURL))
		tab.waitStep("devicecode")
		assert.Equal(t, "user_code", tab.focused())
		tab.screenshot("entratest-devicecode")
		tab.do(chromedp.SendKeys(chromedp.CSS("#user_code"), m.UserCode+kb.Enter))
		tab.waitStep("confirm")
		tab.screenshot("entratest-confirm")
		tab.do(chromedp.Click(chromedp.CSS(`button[value="continue"]`)))
		typePassword(tab, entratest.DefaultUsername, entratest.DefaultPassword)
		tab.waitStep("devicedone")
		tab.screenshot("entratest-devicedone")
		close(approved)
		rec, err := tab.waitSignIn(p)
		require.NoError(t, err)
		assert.Equal(t, entratest.DefaultUsername, rec.Username)
	})
}
