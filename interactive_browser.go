package azinteractive

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/internal/browser"
	"github.com/azinteractive/azinteractive/internal/loopback"
	"golang.org/x/oauth2"
)

const (
	credNameBrowser       = "InteractiveBrowserCredential"
	defaultBrowserTimeout = 5 * time.Minute // as in Python's azure-identity
)

// InteractiveBrowserCredentialOptions contains optional parameters for
// [InteractiveBrowserCredential]. The zero value, like nil, means the defaults.
type InteractiveBrowserCredentialOptions struct {
	azcore.ClientOptions

	// AdditionallyAllowedTenants are tenants, besides TenantID, the credential may authenticate to; "*"
	// allows any. Without TenantID, the credential authenticates to any requested tenant.
	AdditionallyAllowedTenants []string

	// AuthenticationRecord from a credential's Authenticate method lets the credential use a previous
	// authentication.
	AuthenticationRecord AuthenticationRecord

	// Broker signs the user in through the operating system's authentication broker when one is
	// available, and through the browser otherwise. nil: never use a broker. See [BrokerOptions].
	Broker *BrokerOptions

	// Cache is where the credential keeps tokens; the zero value, in memory for this credential only.
	Cache Cache

	// ClientID is the ID of the application users authenticate to: by default the AuthenticationRecord's,
	// else an Azure development application, which isn't recommended for production.
	ClientID string

	// DisableAutomaticAuthentication makes GetToken return AuthenticationRequiredError, instead of
	// prompting the user, when user interaction is necessary.
	DisableAutomaticAuthentication bool

	// DisableInstanceDiscovery skips requesting Microsoft Entra instance metadata from
	// https://login.microsoft.com before authenticating (Microsoft's own clouds never need it), making the
	// application responsible for the authority being valid and trustworthy. Set it only for
	// disconnected or private clouds such as Azure Stack.
	DisableInstanceDiscovery bool

	// DomainHint sends the user straight to the sign-in page of this domain's
	// identity provider (such as "contoso.com"), skipping home realm discovery.
	DomainHint string

	// EnableSupportLogging adds account identifiers (username, home account ID, tenant) to the
	// credential's log entries, for support cases. Secrets never appear there.
	EnableSupportLogging bool

	// ErrorPage replaces the page the browser shows when sign-in fails; its
	// data's Error and Description fields hold the service's.
	ErrorPage *template.Template

	// ErrorRedirectURL, when set, sends the browser there instead of showing
	// an error page, with "error" and "error_description" query parameters.
	ErrorRedirectURL string

	// LoginHint pre-populates the account prompt with a username. Users may choose to authenticate a different account.
	LoginHint string

	// OpenURL replaces how the sign-in URL is presented (a particular browser,
	// a QR code), once the redirect server listens. An error means "no browser
	// here" (see PrintURLIfNoBrowser). By default the credential opens the
	// system browser (the Windows browser under WSL) and says so on stderr.
	OpenURL func(ctx context.Context, url string) error

	// PrintURLIfNoBrowser: when no browser can be opened (no display, SSH),
	// print the sign-in URL to stderr and wait up to Timeout for the user to
	// open it where the redirect port is reachable (over SSH, set RedirectURL
	// to "http://localhost:8400" and use ssh -L 8400:localhost:8400). By
	// default the credential fails at once with a [CredentialUnavailableError],
	// as azidentity's does, so a chain moves on, say to [DeviceCodeCredential].
	PrintURLIfNoBrowser bool

	// Prompt is the "prompt" sent to Microsoft Entra ID: "select_account" (the
	// default), "login", "consent", "create" or "none".
	Prompt string

	// RedirectURL is the URL Microsoft Entra ID will redirect to with the authorization code: a redirect
	// URI registered for the application on "http://localhost", "http://127.0.0.1" or "http://[::1]", with
	// an optional fixed port (for SSH tunnels) and path. The default is "http://localhost" on a random port.
	RedirectURL string

	// SuccessPage replaces the page the browser shows after a successful sign-in.
	SuccessPage *template.Template

	// SuccessRedirectURL, when set, sends the browser there after a
	// successful sign-in instead of showing a page.
	SuccessRedirectURL string

	// TenantID is the Microsoft Entra tenant the credential authenticates in; by default
	// "organizations" (work and school accounts).
	TenantID string

	// Timeout limits how long the user has to sign in (default 5 minutes);
	// then GetToken returns an [AuthenticationFailedError] that
	// errors.Is context.DeadlineExceeded.
	Timeout time.Duration
}

// InteractiveBrowserCredential opens a browser to interactively authenticate a user.
//
// It runs the authorization code flow with PKCE through its own loopback
// server, which ignores stray requests and gives up after Timeout.
type InteractiveBrowserCredential struct {
	*credential
}

// NewInteractiveBrowserCredential constructs a new InteractiveBrowserCredential. Pass nil to accept default options.
func NewInteractiveBrowserCredential(options *InteractiveBrowserCredentialOptions) (*InteractiveBrowserCredential, error) {
	return newInteractiveBrowserCredential(options, thisHost())
}

func newInteractiveBrowserCredential(options *InteractiveBrowserCredentialOptions, h host) (*InteractiveBrowserCredential, error) {
	o := orZero(options)
	if o.Timeout <= 0 {
		o.Timeout = defaultBrowserTimeout
	}
	if _, err := loopback.ParseRedirectURL(o.RedirectURL); err != nil {
		return nil, fmt.Errorf("%s: RedirectURL: %w", credNameBrowser, err)
	}
	if !slices.Contains([]string{"", "select_account", "login", "consent", "create", "none"}, o.Prompt) {
		return nil, fmt.Errorf("%s: Prompt %q isn't one of select_account, login, consent, create or none", credNameBrowser, o.Prompt)
	}
	f := &browserFlow{o: o, host: h}
	backend := msalBackendFactory(f.acquire, nil)
	if o.Broker != nil {
		backend = brokerBackendFactory(o, h.goos, backend)
	}
	c, err := newCredential(credNameBrowser, o, backend)
	if err != nil {
		return nil, err
	}
	f.o = c.opts // with the resolved ClientID
	return &InteractiveBrowserCredential{credential: c}, nil
}

// browserFlow is the browser credential's sign-in.
type browserFlow struct {
	o    InteractiveBrowserCredentialOptions
	host host
}

func (f *browserFlow) acquire(ctx context.Context, client msalClient, r tokenRequest) (public.AuthResult, error) {
	ctx, cancel := withUserTimeout(ctx, f.o.Timeout)
	defer cancel()

	verifier, state := oauth2.GenerateVerifier(), rand.Text()
	srv, err := loopback.Listen(loopback.Config{
		RedirectURL:        f.o.RedirectURL,
		State:              state,
		SuccessHTML:        f.o.SuccessPage,
		ErrorHTML:          f.o.ErrorPage,
		SuccessRedirectURL: f.o.SuccessRedirectURL,
		ErrorRedirectURL:   f.o.ErrorRedirectURL,
		Logf:               func(format string, args ...any) { logf(credNameBrowser+": redirect server: "+format, args...) },
	})
	if err != nil {
		var hint string
		var inUse *loopback.PortInUseError
		if errors.As(err, &inUse) {
			hint = inUse.Remedy()
		}
		return public.AuthResult{}, newCredentialUnavailableError(credNameBrowser, "couldn't start the local server that receives the sign-in", hint, err)
	}
	defer srv.Close()
	redirectURI := srv.RedirectURI()

	// MSAL leaves out empty hints.
	authURL, err := client.AuthCodeURL(ctx, f.o.ClientID, redirectURI, withOIDCScopes(r.Scopes), public.WithClaims(r.Claims),
		public.WithTenantID(r.TenantID), public.WithLoginHint(f.o.LoginHint), public.WithDomainHint(f.o.DomainHint))
	if err != nil {
		return public.AuthResult{}, withContextCause(ctx, err)
	}
	// Add what AuthCodeURL leaves to the caller: state, the PKCE challenge,
	// form_post (so the code never sits in a URL or the browser's history)
	// and the prompt.
	u, err := url.Parse(authURL)
	if err != nil {
		return public.AuthResult{}, err
	}
	q := u.Query()
	q.Set("state", state)
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	q.Set("code_challenge_method", "S256")
	q.Set("response_mode", "form_post")
	q.Set("prompt", cmp.Or(f.o.Prompt, "select_account"))
	u.RawQuery = q.Encode()
	if err := f.open(ctx, u.String()); err != nil {
		return public.AuthResult{}, err
	}
	res, err := srv.Wait(ctx)
	if err != nil {
		return public.AuthResult{}, withContextCause(ctx, err)
	}
	ar, err := client.AcquireTokenByAuthCode(ctx, res.Code, redirectURI, r.Scopes,
		public.WithChallenge(verifier), public.WithClaims(r.Claims), public.WithTenantID(r.TenantID))
	return ar, withContextCause(ctx, err)
}

// withOIDCScopes adds what makes the service return an ID token (the
// account) and a refresh token; MSAL adds them to token requests, but not to
// AuthCodeURL.
func withOIDCScopes(scopes []string) []string {
	out := slices.Clone(scopes)
	for _, s := range []string{"openid", "offline_access", "profile"} {
		if !slices.ContainsFunc(scopes, func(have string) bool { return strings.EqualFold(have, s) }) {
			out = append(out, s)
		}
	}
	return out
}

// open shows the user the sign-in page, or prints its URL when no browser
// can be opened and PrintURLIfNoBrowser is set.
func (f *browserFlow) open(ctx context.Context, authURL string) error {
	opener := f.o.OpenURL
	var why error
	if opener == nil {
		if headless, reason := browser.Headless(f.host.getenv, f.host.goos); headless {
			why = errors.New(reason)
		} else {
			opener = browser.Default()
		}
	}
	if opener != nil {
		err := opener(ctx, authURL)
		if err == nil {
			if f.o.OpenURL == nil {
				_, _ = fmt.Fprintf(f.host.stderr, "Opened a browser to sign in; waiting up to %s (Ctrl-C to cancel)\n", waitLeft(ctx))
			}
			return nil
		}
		if ctx.Err() != nil {
			return withContextCause(ctx, err)
		}
		why = fmt.Errorf("opening one failed: %s", networkLine(err.Error()))
	}
	if !f.o.PrintURLIfNoBrowser {
		return errNoBrowser(why)
	}
	_, err := fmt.Fprintf(f.host.stderr, "%s: can't open a browser here: %s.\n"+
		"To sign in, open this URL in a browser on this machine, or on one whose port is forwarded here; waiting up to %s (Ctrl-C to cancel):\n\n%s\n\n",
		credNameBrowser, why, waitLeft(ctx), authURL)
	return err
}

// errNoBrowser is the error of a credential that can't show the sign-in page.
func errNoBrowser(why error) error {
	return newCredentialUnavailableError(credNameBrowser, "can't open a browser", "Use DeviceCodeCredential here, or forward the redirect port "+
		"(RedirectURL \"http://localhost:8400\" and ssh -L 8400:localhost:8400) and set PrintURLIfNoBrowser to have the sign-in URL printed.", why)
}

// waitLeft is how long the sign-in may still take, for a person to read.
func waitLeft(ctx context.Context) string {
	deadline, _ := ctx.Deadline() // acquire's Timeout always sets one
	return humanDuration(time.Until(deadline).Round(time.Second))
}

// humanDuration writes d without zero parts: "5m", not "5m0s".
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d%time.Second != 0:
		return d.String()
	}
	// "1h0m30s" → "1h30s", "2h0m0s" → "2h".
	s := strings.Replace(d.String(), "h0m", "h", 1)
	if strings.HasSuffix(s, "m0s") || strings.HasSuffix(s, "h0s") {
		s = s[:len(s)-2]
	}
	return s
}
