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
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/internal/safetext"
	"golang.org/x/term"
)

const credNameDeviceCode = "DeviceCodeCredential"

// DeviceCodeCredentialOptions contains optional parameters for
// [DeviceCodeCredential]. The zero value, like nil, means the defaults.
type DeviceCodeCredentialOptions struct {
	azcore.ClientOptions

	// These fields mean what InteractiveBrowserCredentialOptions' fields of
	// the same names do.
	AdditionallyAllowedTenants     []string
	AuthenticationRecord           AuthenticationRecord
	Cache                          Cache
	ClientID                       string
	DisableAutomaticAuthentication bool
	DisableInstanceDiscovery       bool
	EnableSupportLogging           bool

	// TenantID is the Microsoft Entra tenant the credential authenticates in; by default
	// "organizations" (work and school accounts). Required for single-tenant applications.
	TenantID string

	// Timeout limits how long the user has to sign in; zero means until the
	// device code expires (typically 15 minutes).
	Timeout time.Duration

	// UserPrompt controls how the credential presents authentication instructions. The credential calls
	// this function with authentication details when it receives a device code; their text is already
	// bounded in size and free of control characters. Returning an error stops the sign-in.
	//
	// By default the credential writes to standard error (standard output may be a pipe) the service's
	// message, one line, and, only on a terminal, a countdown line below it ("Waiting for you to sign in:
	// the code ABCD1234 expires in 14:59") that it rewrites each second and erases when the sign-in ends.
	// How the sign-in ended is for the application to say.
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
	o := orZero(options)
	var ui *deviceCodeUI
	if o.UserPrompt == nil {
		ui = &deviceCodeUI{out: os.Stderr, terminal: term.IsTerminal(int(os.Stderr.Fd())), now: time.Now, tick: time.Second}
	}
	acquire := func(ctx context.Context, client msalClient, r tokenRequest) (ar public.AuthResult, err error) {
		if o.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = withUserTimeout(ctx, o.Timeout)
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
		} else if err := o.UserPrompt(ctx, msg); err != nil {
			return public.AuthResult{}, withContextCause(ctx, fmt.Errorf("UserPrompt returned an error, so the sign-in stopped: %w", err))
		}
		ar, err = dc.AuthenticationResult(ctx)
		switch {
		case ctx.Err() != nil:
			err = withContextCause(ctx, err)
		case errors.Is(err, context.DeadlineExceeded):
			// MSAL stops polling when the code expires.
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
	}, msalBackendFactory(acquire, nil))
	if err != nil {
		return nil, err
	}
	return &DeviceCodeCredential{credential: c}, nil
}

// deviceCodeMessage is the service's device code response bounded and made
// safe for a terminal, since custom prompts print it too.
func deviceCodeMessage(r public.DeviceCodeResult) (DeviceCodeMessage, error) {
	switch {
	case len(r.Message) > maxDeviceCodeMessageLen:
		return DeviceCodeMessage{}, tooLong("the device code response's message", len(r.Message), maxDeviceCodeMessageLen)
	case len(r.UserCode) > maxUserCodeLen:
		return DeviceCodeMessage{}, tooLong("the device code response's user_code", len(r.UserCode), maxUserCodeLen)
	case len(r.VerificationURL) > maxVerificationURLLen:
		return DeviceCodeMessage{}, tooLong("the device code response's verification_uri", len(r.VerificationURL), maxVerificationURLLen)
	}
	return DeviceCodeMessage{
		UserCode:        safetext.Line(r.UserCode),
		VerificationURL: safetext.Line(r.VerificationURL),
		Message:         safetext.Line(r.Message),
		ExpiresOn:       r.ExpiresOn.UTC(),
	}, nil
}

func errDeviceCodeExpired() error {
	e := newAuthenticationFailedError(credNameDeviceCode, "the device code expired before anyone signed in with it", oauthHints["expired_token"], nil)
	e.ErrorCode = "expired_token"
	return e
}

// deviceCodeUI is the default prompt that UserPrompt's doc describes.
type deviceCodeUI struct {
	out      io.Writer
	terminal bool
	now      func() time.Time
	tick     time.Duration
}

// show prints the instructions and, on a terminal, starts the countdown,
// which finish stops and erases.
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
			left := int(max(m.ExpiresOn.Sub(ui.now()).Round(time.Second), 0) / time.Second)
			// \r returns to the line's start and ESC[K clears it.
			_, _ = fmt.Fprintf(ui.out, "\r\x1b[KWaiting for you to sign in: the code %s expires in %d:%02d", m.UserCode, left/60, left%60)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	return sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
		_, _ = fmt.Fprint(ui.out, "\r\x1b[K")
	})
}
