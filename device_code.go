package azinteractive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/internal/safetext"
	"golang.org/x/term"
)

const credNameDeviceCode = "DeviceCodeCredential"

// DeviceCodeCredentialOptions contains optional parameters for
// [DeviceCodeCredential]. The zero value, like nil, means the defaults.
type DeviceCodeCredentialOptions struct {
	azcore.ClientOptions

	// AdditionallyAllowedTenants specifies tenants to which the credential may authenticate, in addition to
	// TenantID. When TenantID is empty, this option has no effect and the credential will authenticate to
	// any requested tenant. Add the wildcard value "*" to allow the credential to authenticate to any tenant.
	AdditionallyAllowedTenants []string

	// AuthenticationRecord returned by a call to a credential's Authenticate method. Set this option
	// to enable the credential to use data from a previous authentication.
	AuthenticationRecord AuthenticationRecord

	// Cache is where the credential keeps tokens. The zero value keeps them in
	// memory, for this credential only.
	Cache Cache

	// ClientID is the ID of the application to which users will authenticate. When not set, users
	// will authenticate to an Azure development application, which isn't recommended for production
	// scenarios. When AuthenticationRecord is set and ClientID isn't, the record's client ID is used.
	ClientID string

	// DisableAutomaticAuthentication prevents the credential from automatically prompting the user to authenticate.
	// When this option is true, GetToken will return AuthenticationRequiredError when user interaction is necessary
	// to acquire a token.
	DisableAutomaticAuthentication bool

	// DisableInstanceDiscovery should be set true only by applications authenticating in disconnected clouds, or
	// private clouds such as Azure Stack. It determines whether the credential requests Microsoft Entra instance metadata
	// from https://login.microsoft.com before authenticating. Setting this to true will skip this request, making
	// the application responsible for ensuring the configured authority is valid and trustworthy.
	//
	// An authority on one of Microsoft's own clouds (login.microsoftonline.com, the US Government and China
	// clouds and the other national clouds) costs no such request either way: its instance metadata is known,
	// so a credential that starts over a filled persistent cache gets its first token with no request at all.
	DisableInstanceDiscovery bool

	// EnableSupportLogging adds account identifiers (username, home account
	// ID, tenant) to the credential's log entries, for support cases. Secrets
	// never appear in the log, with or without it.
	EnableSupportLogging bool

	// TenantID is the Microsoft Entra tenant the credential authenticates in. Defaults to the
	// "organizations" tenant, which can authenticate work and school accounts. Required for single-tenant
	// applications.
	TenantID string

	// Timeout limits how long the user has to finish signing in. Zero means
	// until the device code expires (typically 15 minutes). Either way the
	// caller's context can end the wait sooner.
	Timeout time.Duration

	// UserPrompt controls how the credential presents authentication instructions. The credential calls
	// this function with authentication details when it receives a device code; their text is already
	// bounded in size and free of control characters. Returning an error stops the sign-in.
	//
	// By default the credential writes to standard error (never standard output, which may be a pipe)
	// exactly two things: the service's message, one line ("To sign in, use a web browser to open the
	// page https://microsoft.com/devicelogin and enter the code ABCD1234 to authenticate."), and, only on
	// a terminal, a countdown line below it ("Waiting for you to sign in: the code ABCD1234 expires in
	// 14:59") that it rewrites each second and erases when the sign-in ends. It says nothing about how the
	// sign-in ended: the application does, with what GetToken or Authenticate returns.
	UserPrompt func(context.Context, DeviceCodeMessage) error
}

// DeviceCodeMessage contains the information a user needs to complete authentication.
type DeviceCodeMessage struct {
	// UserCode is the user code returned by the service.
	UserCode string `json:"user_code"`
	// VerificationURL is the URL at which the user must authenticate.
	VerificationURL string `json:"verification_uri"`
	// Message is user instruction from Microsoft Entra ID, on one line.
	Message string `json:"message"`
	// ExpiresOn is when the code expires; the user must finish before then.
	ExpiresOn time.Time `json:"expires_on"`
}

// DeviceCodeCredential acquires tokens for a user via the device code flow, which has the
// user browse to a Microsoft Entra URL, enter a code, and authenticate. It's useful
// for authenticating a user in an environment without a web browser, such as an SSH session.
// If a web browser is available, [InteractiveBrowserCredential] is more convenient because it
// automatically opens a browser to the login page.
type DeviceCodeCredential struct {
	*credential
}

// NewDeviceCodeCredential creates a DeviceCodeCredential. Pass nil to accept default options.
func NewDeviceCodeCredential(options *DeviceCodeCredentialOptions) (*DeviceCodeCredential, error) {
	return newDeviceCodeCredential(options, thisHost())
}

func newDeviceCodeCredential(options *DeviceCodeCredentialOptions, h host) (*DeviceCodeCredential, error) {
	var o DeviceCodeCredentialOptions
	if options != nil {
		o = *options
	}
	prompt := o.UserPrompt
	var ui *deviceCodeUI
	if prompt == nil {
		ui = newDeviceCodeUI(h.stderr)
	}
	timeout := o.Timeout
	acquire := func(ctx context.Context, client msalClient, r tokenRequest) (ar public.AuthResult, err error) {
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = withUserTimeout(ctx, timeout)
			defer cancel()
		}
		dc, err := client.AcquireTokenByDeviceCode(ctx, r.Scopes, public.WithClaims(r.Claims), public.WithTenantID(r.TenantID))
		if err != nil {
			return public.AuthResult{}, withContextCause(ctx, err)
		}
		msg, err := deviceCodeMessage(dc.Result)
		if err != nil {
			return public.AuthResult{}, err
		}
		if ui != nil {
			defer ui.show(msg)()
		} else if err := prompt(ctx, msg); err != nil {
			return public.AuthResult{}, withContextCause(ctx, fmt.Errorf("UserPrompt returned an error, so the sign-in stopped: %w", err))
		}
		ar, err = dc.AuthenticationResult(ctx)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			err = withContextCause(ctx, err)
		case errors.Is(err, context.DeadlineExceeded):
			// MSAL stops polling when the code expires; neither the
			// caller's context nor Timeout ended.
			err = errDeviceCodeExpired()
		}
		return ar, err
	}
	c, err := newCredential(credNameDeviceCode, coreOptions{
		ClientOptions:                  o.ClientOptions,
		AdditionallyAllowedTenants:     o.AdditionallyAllowedTenants,
		AuthenticationRecord:           o.AuthenticationRecord,
		Cache:                          o.Cache,
		ClientID:                       o.ClientID,
		DisableAutomaticAuthentication: o.DisableAutomaticAuthentication,
		DisableInstanceDiscovery:       o.DisableInstanceDiscovery,
		EnableSupportLogging:           o.EnableSupportLogging,
		TenantID:                       o.TenantID,
	}, acquire)
	if err != nil {
		return nil, err
	}
	return &DeviceCodeCredential{credential: c}, nil
}

// Authenticate prompts a user to log in via the device code flow. Subsequent
// GetToken calls will automatically use the returned AuthenticationRecord.
// With nil options or no scopes, it asks for Azure Resource Manager's scope.
func (c *DeviceCodeCredential) Authenticate(ctx context.Context, opts *policy.TokenRequestOptions) (AuthenticationRecord, error) {
	return c.credential.Authenticate(ctx, opts)
}

// GetTokenInfo is GetToken returning the token's type and account as well.
func (c *DeviceCodeCredential) GetTokenInfo(ctx context.Context, opts policy.TokenRequestOptions) (TokenInfo, error) {
	return c.credential.GetTokenInfo(ctx, opts)
}

// SignOut removes the signed-in user's tokens from memory and from the token
// cache, and forgets the user. Afterwards the credential must sign the user in
// again (or return AuthenticationRequiredError when automatic authentication
// is disabled).
func (c *DeviceCodeCredential) SignOut(ctx context.Context) error {
	return c.credential.SignOut(ctx)
}

var _ azcore.TokenCredential = (*DeviceCodeCredential)(nil)

// deviceCodeMessage is what the user is shown of the service's device code
// response: each field bounded in size and safe for a terminal, since custom
// prompts print it too.
func deviceCodeMessage(r public.DeviceCodeResult) (DeviceCodeMessage, error) {
	for _, f := range []struct {
		name  string
		value string
		limit int
	}{
		{"the device code response's message", r.Message, maxDeviceCodeMessageLen},
		{"the device code response's user_code", r.UserCode, maxUserCodeLen},
		{"the device code response's verification_uri", r.VerificationURL, maxVerificationURLLen},
	} {
		if len(f.value) > f.limit {
			return DeviceCodeMessage{}, tooLong(f.name, len(f.value), f.limit)
		}
	}
	return DeviceCodeMessage{
		UserCode:        safetext.Line(r.UserCode),
		VerificationURL: safetext.Line(r.VerificationURL),
		Message:         safetext.Line(r.Message),
		ExpiresOn:       r.ExpiresOn.UTC(),
	}, nil
}

// errDeviceCodeExpired is the error of a device code sign-in that nobody
// finished before the code expired.
func errDeviceCodeExpired() error {
	e := newAuthenticationFailedError(credNameDeviceCode, "the device code expired before anyone signed in with it", oauthHints["expired_token"], nil)
	e.ErrorCode = "expired_token"
	return e
}

// deviceCodeUI is the default device code prompt. It writes to standard error
// (standard output may be a pipe the program's data goes to, or buffered away
// under docker and notebooks), and writes exactly this:
//
//   - the service's message, one line ("To sign in, use a web browser to
//     open the page https://microsoft.com/devicelogin and enter the code
//     ABCD1234 to authenticate.");
//   - on a terminal only, below it, one countdown line ("Waiting for you to
//     sign in: the code ABCD1234 expires in 14:59"), rewritten in place each
//     second and erased when the sign-in ends, however it ends.
//
// It says nothing about how the sign-in ended: the application does, with
// the error or the account it gets back, and would otherwise repeat it.
type deviceCodeUI struct {
	out      io.Writer
	terminal bool
	now      func() time.Time
	tick     time.Duration
}

func newDeviceCodeUI(out io.Writer) *deviceCodeUI {
	ui := &deviceCodeUI{out: out, now: time.Now, tick: time.Second}
	if f, ok := out.(*os.File); ok {
		ui.terminal = term.IsTerminal(int(f.Fd()))
	}
	return ui
}

// show prints the instructions and, on a terminal, starts the countdown. The
// returned function stops and erases the countdown; it may be called more
// than once. m's text is already safe for a terminal (deviceCodeMessage).
func (ui *deviceCodeUI) show(m DeviceCodeMessage) (finish func()) {
	_, _ = fmt.Fprintln(ui.out, m.Message)
	if !ui.terminal || m.ExpiresOn.IsZero() {
		return func() {}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(ui.tick)
		defer t.Stop()
		for {
			left := m.ExpiresOn.Sub(ui.now()).Round(time.Second)
			if left < 0 {
				left = 0
			}
			// \r returns to the line's start and ESC[K clears it.
			_, _ = fmt.Fprintf(ui.out, "\r\x1b[KWaiting for you to sign in: the code %s expires in %s", m.UserCode, formatLeft(left))
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			_, _ = fmt.Fprint(ui.out, "\r\x1b[K")
		})
	}
}

// formatLeft writes a duration as m:ss, the way a countdown reads.
func formatLeft(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
