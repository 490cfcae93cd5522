package azinteractive

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/azinteractive/azinteractive/internal/loopback"
	"github.com/azinteractive/azinteractive/internal/safetext"
)

// Every message reads: the credential's name, what happened, the request and
// response when there was one, and, on its own last line, what to do next.

// AuthenticationFailedError reports that Microsoft Entra ID, or the user, refused
// a sign-in or a token. Use [errors.As] to get one; [errors.Is] reports
// [context.Canceled] or [context.DeadlineExceeded] when the sign-in ended because
// a context did. The message contents are not contractual.
type AuthenticationFailedError struct {
	// RawResponse is Microsoft Entra ID's HTTP response, when there was one.
	// Its body has already been read and can be read again.
	RawResponse *http.Response

	// ErrorCode is the OAuth error code, such as "invalid_grant",
	// "access_denied" or "expired_token" (a device code that expired).
	ErrorCode string

	// ErrorCodes are the AADSTS numbers the service reported, such as 50126.
	ErrorCodes []int

	// Claims is a claims challenge the service sent with the error (for example
	// when multifactor authentication is required). Pass it back in
	// [policy.TokenRequestOptions.Claims] to an interactive credential.
	Claims string

	credType    string
	message     string // what happened, one line, never empty
	description string // the service's error_description, made safe
	hint        string // what to do next; "" means hintFor's
	err         error
}

func newAuthenticationFailedError(credType, message, hint string, err error) *AuthenticationFailedError {
	return &AuthenticationFailedError{credType: credType, message: message, hint: hint, err: err}
}

// Error describes the failure and, on its last line, what to do about it.
func (e *AuthenticationFailedError) Error() string {
	var b strings.Builder
	b.WriteString(e.credType + ": " + e.headline())
	if e.description != "" {
		b.WriteString(": " + e.description)
	}
	if r := e.RawResponse; r != nil {
		b.WriteString("\n")
		if u := r.Request; u != nil && u.URL != nil {
			fmt.Fprintf(&b, "%s %s://%s%s\n", u.Method, u.URL.Scheme, u.URL.Host, u.URL.Path)
		}
		b.WriteString("RESPONSE " + r.Status)
	}
	writeHint(&b, cmp.Or(e.hint, hintFor(e.credType, e.ErrorCode, e.ErrorCodes)))
	return b.String()
}

// headline is what happened, with the error code.
func (e *AuthenticationFailedError) headline() string {
	if e.ErrorCode != "" && !strings.Contains(e.message, e.ErrorCode) {
		return e.message + " (" + e.ErrorCode + ")"
	}
	return e.message
}

// Unwrap returns the cause, so that [errors.Is] and [errors.As] see through.
func (e *AuthenticationFailedError) Unwrap() error { return e.err }

// NonRetriable tells azcore's retry policy not to retry the request that failed.
func (*AuthenticationFailedError) NonRetriable() {}

// AuthenticationRequiredError reports that a credential needs the user to sign
// in, and was told not to ask (DisableAutomaticAuthentication). Call the
// credential's Authenticate method with TokenRequestOptions to sign in.
//
// It is a [CredentialUnavailableError], and azidentity's ChainedTokenCredential
// and DefaultAzureCredential treat it as one: they move on to the next
// credential.
type AuthenticationRequiredError struct {
	// TokenRequestOptions for the token that needs a sign-in.
	TokenRequestOptions policy.TokenRequestOptions

	credType string
	err      error // why the silent attempt failed, if known
}

func newAuthenticationRequiredError(credType string, opts policy.TokenRequestOptions, cause error) *AuthenticationRequiredError {
	return &AuthenticationRequiredError{TokenRequestOptions: opts, credType: credType, err: cause}
}

// Error says that the user must sign in.
func (e *AuthenticationRequiredError) Error() string {
	var b strings.Builder
	b.WriteString(e.credType + ": can't acquire a token without user interaction")
	var failed *AuthenticationFailedError
	switch {
	case errors.As(e.err, &failed):
		b.WriteString(": " + failed.headline())
		if failed.description != "" {
			b.WriteString(": " + firstLine(failed.description))
		}
	case e.err != nil:
		b.WriteString(": " + firstLine(e.err.Error()))
	}
	writeHint(&b, "Call Authenticate to sign the user in interactively.")
	return b.String()
}

// Unwrap returns the cause (if any), a [CredentialUnavailableError], and
// azidentity's credential-unavailable marker that its chains look for.
func (e *AuthenticationRequiredError) Unwrap() []error {
	errs := []error{newCredentialUnavailableError(e.credType, "user interaction is required", "", nil)}
	if e.err != nil {
		errs = append(errs, e.err)
	}
	return errs
}

// NonRetriable tells azcore's retry policy not to retry.
func (*AuthenticationRequiredError) NonRetriable() {}

// CredentialUnavailableError reports that a credential can't try to
// authenticate here: for example, no browser can be opened. Chains move on to
// their next credential.
type CredentialUnavailableError struct {
	credType string // "" for errors made by NewCredentialUnavailableError
	message  string
	hint     string
	err      error
}

// NewCredentialUnavailableError is an error a credential of your own returns
// to say that it can't attempt authentication here, as azidentity's function
// of the same name: chains then try their next credential. The message is
// the error's text, as given.
func NewCredentialUnavailableError(message string) error {
	return &CredentialUnavailableError{message: message}
}

func newCredentialUnavailableError(credType, message, hint string, err error) *CredentialUnavailableError {
	return &CredentialUnavailableError{credType: credType, message: message, hint: hint, err: err}
}

// Error says why the credential can't authenticate here.
func (e *CredentialUnavailableError) Error() string {
	if e.credType == "" {
		return e.message
	}
	var b strings.Builder
	b.WriteString(e.credType + ": " + e.message)
	if e.err != nil {
		// The cause may quote another process (a D-Bus error).
		b.WriteString(": " + networkLine(firstLine(e.err.Error())))
	}
	writeHint(&b, e.hint)
	return b.String()
}

// Unwrap returns the cause (if any) and azidentity's credential-unavailable
// marker, which its chains look for to try their next credential.
func (e *CredentialUnavailableError) Unwrap() []error {
	// The marker's type is unexported; azidentity's constructor makes one.
	msg := e.message
	if e.credType != "" {
		msg = e.credType + ": " + msg
	}
	marker := azidentity.NewCredentialUnavailableError(msg)
	if e.err != nil {
		return []error{e.err, marker}
	}
	return []error{marker}
}

// NonRetriable tells azcore's retry policy not to retry.
func (*CredentialUnavailableError) NonRetriable() {}

// writeHint puts hint on the message's last line, where a reader looks for
// what to do.
func writeHint(b *strings.Builder, hint string) {
	if hint != "" {
		b.WriteString("\n" + hint)
	}
}

// classify turns a failed sign-in or token request into the error the
// application gets; it alone decides the type. In order: an error that
// already has its type; a context that ended (Timeout, or the caller's ctx);
// the service's error response; an error sent through the browser's
// redirect; anything else, made safe and on one line.
func classify(ctx context.Context, credType string, err error) error {
	// An AuthenticationRequiredError is a CredentialUnavailableError too.
	var failed *AuthenticationFailedError
	var unavailable *CredentialUnavailableError
	if errors.As(err, &failed) || errors.As(err, &unavailable) {
		return err
	}
	err = withoutResponseBody(err)
	if e := fromContext(ctx, credType, err); e != nil {
		return e
	}
	var call msalerrors.CallErr
	if errors.As(err, &call) && call.Resp != nil {
		return fromResponse(credType, call, err)
	}
	var re *loopback.ResponseError
	if errors.As(err, &re) {
		return fromRedirect(credType, re)
	}
	return newAuthenticationFailedError(credType, "authentication failed: "+networkLine(err.Error()), "", err)
}

// userTimeoutError is the cause of a context that a credential's Timeout
// ended: the user didn't finish signing in in time.
type userTimeoutError struct {
	timeout time.Duration
}

func (e *userTimeoutError) Error() string {
	return fmt.Sprintf("the user didn't finish signing in within %s (the credential's Timeout)", humanDuration(e.timeout))
}

// Is makes errors.Is(err, context.DeadlineExceeded) hold for a timeout.
func (e *userTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// withUserTimeout is context.WithTimeout for the time a user has to sign in.
func withUserTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &userTimeoutError{timeout: d})
}

// withContextCause puts ctx's cause in a non-nil err's chain when ctx ended,
// so that classify can tell a Timeout from the caller's cancellation.
func withContextCause(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	if cause := context.Cause(ctx); !errors.Is(err, cause) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// fromContext explains a failure that a context ended, or returns nil.
func fromContext(ctx context.Context, credType string, err error) *AuthenticationFailedError {
	var timeout *userTimeoutError
	if errors.As(err, &timeout) {
		return newAuthenticationFailedError(credType, timeout.Error(), "Try again, or raise Timeout.", err)
	}
	ctxErr := ctx.Err()
	if ctxErr == nil {
		return nil
	}
	if !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w: %w", ctxErr, err)
	}
	msg, hint := "the caller's context was canceled before a token was acquired", ""
	if errors.Is(ctxErr, context.DeadlineExceeded) {
		msg, hint = "the caller's context deadline passed before a token was acquired", "Allow more time in the context passed to GetToken or Authenticate."
	}
	if cause := context.Cause(ctx); cause != nil && cause != ctxErr {
		msg += " (" + networkLine(cause.Error()) + ")"
		if !errors.Is(err, cause) {
			err = fmt.Errorf("%w: %w", err, cause)
		}
	}
	return newAuthenticationFailedError(credType, msg, hint, err)
}

// fromResponse reads the service's error response that MSAL returned.
func fromResponse(credType string, call msalerrors.CallErr, err error) *AuthenticationFailedError {
	e := newAuthenticationFailedError(credType, "authentication failed", "", err)
	e.RawResponse = call.Resp
	b, rerr := runtime.Payload(call.Resp) // leaves the body readable again
	if rerr != nil || len(b) == 0 {
		// MSAL's device code poll reads the body without rewinding it; its
		// error text still holds it.
		if _, after, ok := strings.Cut(call.Err.Error(), "reply status code was "); ok {
			if _, body, ok := strings.Cut(after, "\n"); ok {
				b = []byte(body)
				call.Resp.Body = io.NopCloser(strings.NewReader(body))
			}
		}
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
		Claims      string `json:"claims"`
	}
	if json.Unmarshal(b, &body) == nil {
		e.ErrorCode = networkField(body.Error, maxErrorCodeLen)
		e.description = networkText(body.Description)
		e.ErrorCodes = body.Codes
		e.Claims = body.Claims
	}
	if e.description == "" {
		e.message = fmt.Sprintf("authentication failed with HTTP status %d", call.Resp.StatusCode)
	}
	return e
}

// fromRedirect reads an error the service sent through the browser.
func fromRedirect(credType string, re *loopback.ResponseError) *AuthenticationFailedError {
	msg := "the sign-in failed"
	if re.Cancelled() {
		msg = "the user canceled the sign-in"
	}
	e := newAuthenticationFailedError(credType, msg, "", re)
	e.ErrorCode = networkField(re.Code, maxErrorCodeLen)
	e.description = networkText(re.Description)
	if n, ok := aadstsCode(re.Description, true); ok {
		e.ErrorCodes = []int{n}
	}
	return e
}

// withoutResponseBody drops the response body that MSAL quotes when it can't
// decode one (a token response's body holds tokens). MSAL's error type has
// no Unwrap, so only the context errors need keeping.
func withoutResponseBody(err error) error {
	var undecodable msalerrors.InvalidJsonErr
	if !errors.As(err, &undecodable) {
		return err
	}
	msg := err.Error()
	for _, q := range []string{"\nraw message was:", "\njson message bytes were:"} {
		if i := strings.Index(msg, q); i >= 0 {
			msg = msg[:i]
		}
	}
	r := &redactedError{msg: msg + " (the response isn't quoted: it may hold tokens)"}
	for _, target := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, target) {
			r.causes = append(r.causes, target)
		}
	}
	return r
}

// redactedError is an error whose message lost a secret.
type redactedError struct {
	msg    string
	causes []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.causes }

// networkLine makes text from a server, a browser or another process safe
// for a one-line message.
func networkLine(s string) string { return networkField(s, maxDescriptionLen) }

// networkField is a field from the network, cut to n bytes and made safe.
func networkField(s string, n int) string {
	s, _ = safetext.Truncate(s, n)
	return safetext.Line(s)
}

// networkText is a description from the network, bounded and made safe,
// keeping its line breaks (Entra ID puts trace and correlation IDs on lines
// of their own).
func networkText(s string) string {
	s, _ = safetext.Truncate(s, maxDescriptionLen)
	return safetext.Lines(s)
}

// hintFor says what to do about the failures users meet most. Every AADSTS
// code here has a row in TROUBLESHOOTING.md (TestTroubleshootingAADSTSRows);
// see https://learn.microsoft.com/entra/identity-platform/reference-error-codes.
func hintFor(credType, code string, codes []int) string {
	for _, c := range codes {
		if h := aadstsHints[c]; h != "" {
			if h == hintMFA && credType == credNameUsernamePassword {
				return "A password alone can't satisfy multifactor authentication: use InteractiveBrowserCredential or DeviceCodeCredential, passing them the error's Claims."
			}
			return h
		}
	}
	return oauthHints[code]
}

const (
	hintMFA     = "The account requires multifactor authentication: sign in again and complete the second step."
	hintDevice  = "Conditional Access requires a compliant or joined device: enroll the device (Intune Company Portal) and, on Linux, sign in through the identity broker (InteractiveBrowserCredentialOptions.Broker)."
	hintNewCode = "Start the sign-in again, and finish it before the new code expires."
	hintStale   = "The saved sign-in is no longer valid: sign in again."
)

var aadstsHints = map[int]string{
	50076:   hintMFA,
	50079:   hintMFA,
	50126:   "Check the username and password.",
	50034:   "The user doesn't exist in this tenant: check the username and TenantID.",
	50057:   "The user account is disabled: ask an administrator to enable it.",
	65001:   "The application needs consent: sign in interactively once to grant it, or ask an administrator to grant consent for the tenant.",
	700016:  "The application isn't registered in this tenant: check ClientID and TenantID.",
	7000218: "The application isn't a public client: in its registration (Authentication), set \"Allow public client flows\" to Yes.",
	90002:   "The tenant wasn't found: check TenantID (a tenant ID, or a verified domain such as contoso.onmicrosoft.com) and that the cloud (ClientOptions.Cloud, AZURE_AUTHORITY_HOST) is the tenant's.",
	50020:   "The account isn't in the tenant: sign in with an account of that tenant, or set TenantID to the account's home tenant (\"consumers\" or \"common\" for personal Microsoft accounts).",
	50011:   "The redirect URI isn't registered for the application: register it, or set RedirectURL to a registered one.",
	53000:   hintDevice,
	53001:   hintDevice,
	70019:   hintNewCode,
	70020:   hintNewCode,
	70000:   hintStale,
	700082:  hintStale,
	9002313: hintStale,
	50173:   hintStale,
}

// oauthHints are for OAuth error codes that came without a known AADSTS number.
var oauthHints = map[string]string{
	"access_denied":          "Sign in again to continue.",
	"authorization_declined": "The user declined the sign-in: sign in again to continue.",
	"expired_token":          hintNewCode,
	"interaction_required":   "Sign in again interactively.",
}

// aadstsRE finds an AADSTS number, which has at most 9 digits.
var aadstsRE = regexp.MustCompile(`AADSTS(\d{1,9})(?:\D|$)`)

// aadstsCode reads the first AADSTS number in text. Entra's descriptions
// start with one (atStart); the broker quotes one inside its own words.
func aadstsCode(text string, atStart bool) (int, bool) {
	m := aadstsRE.FindStringSubmatchIndex(text)
	if m == nil || atStart && strings.TrimLeft(text[:m[0]], " ") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(text[m[2]:m[3]])
	return n, err == nil
}
