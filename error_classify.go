package azinteractive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/azinteractive/azinteractive/internal/loopback"
	"github.com/azinteractive/azinteractive/internal/safetext"
)

// classify turns the failure of a sign-in or token request into the error the
// application gets. It is the one place that decides the error's type and
// explains it; ctx is the context the caller passed in, so that the message
// blames the caller's context only when that context ended.
//
// In order:
//   - an error that already has its type (a flow that knew exactly what
//     happened, such as a device code that expired) is returned as is;
//   - a context that ended: the credential's Timeout (the user took too
//     long) or the caller's context (deadline or cancellation);
//   - the service's error response, read from MSAL's error: OAuth code,
//     AADSTS numbers, description, claims challenge;
//   - an error the service sent through the browser's redirect;
//   - anything else, with its text made safe and on one line.
func classify(ctx context.Context, credType string, err error) error {
	if err == nil {
		return nil
	}
	var (
		failed      *AuthenticationFailedError
		unavailable *CredentialUnavailableError
		required    *AuthenticationRequiredError
	)
	if errors.As(err, &failed) || errors.As(err, &unavailable) || errors.As(err, &required) {
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

// withContextCause returns err, the error of an operation that ran under ctx,
// with ctx's cause in its chain when ctx ended. A flow calls it on errors
// from its own contexts (the ones that carry the credential's Timeout), so
// that classify can tell a timeout from the caller's cancellation.
func withContextCause(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	cause := context.Cause(ctx)
	if errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w: %w", cause, err)
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
	var msg, hint string
	if errors.Is(ctxErr, context.DeadlineExceeded) {
		msg = "the caller's context deadline passed before a token was acquired"
		hint = "Allow more time in the context passed to GetToken or Authenticate."
	} else {
		msg = "the caller's context was canceled before a token was acquired"
	}
	if cause := context.Cause(ctx); cause != nil && cause != ctxErr {
		// context.WithCancelCause and WithDeadlineCause say why.
		msg += " (" + networkLine(cause.Error()) + ")"
		if !errors.Is(err, cause) {
			err = fmt.Errorf("%w: %w", err, cause)
		}
	}
	return newAuthenticationFailedError(credType, msg, hint, err)
}

// entraError is the JSON body of a Microsoft Entra ID error response.
type entraError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
	Claims      string `json:"claims"`
}

// fromResponse reads the service's error response that MSAL returned.
func fromResponse(credType string, call msalerrors.CallErr, err error) *AuthenticationFailedError {
	e := newAuthenticationFailedError(credType, "authentication failed", "", err)
	e.RawResponse = call.Resp
	// azcore's Payload reads the body once and leaves it readable again.
	b, rerr := runtime.Payload(call.Resp)
	if rerr != nil || len(b) == 0 {
		// MSAL's device code poll reads the body without rewinding it;
		// its error text still holds the body.
		if _, after, ok := strings.Cut(call.Err.Error(), "reply status code was "); ok {
			if _, body, ok := strings.Cut(after, "\n"); ok {
				b = []byte(body)
				call.Resp.Body = io.NopCloser(strings.NewReader(body))
			}
		}
	}
	var body entraError
	if json.Unmarshal(b, &body) == nil {
		e.ErrorCode = networkField(body.Error, maxErrorCodeLen)
		e.description = networkText(body.Description, maxDescriptionLen)
		e.ErrorCodes = body.Codes
		e.Claims = body.Claims
	}
	if e.description == "" {
		e.message = fmt.Sprintf("authentication failed with HTTP status %d", call.Resp.StatusCode)
	}
	e.hint = hintFor(credType, e.ErrorCode, e.ErrorCodes)
	return e
}

// fromRedirect reads an error the service sent through the browser to the
// redirect server.
func fromRedirect(credType string, re *loopback.ResponseError) *AuthenticationFailedError {
	msg := "the sign-in failed"
	if re.Cancelled() {
		msg = "the user canceled the sign-in"
	}
	e := newAuthenticationFailedError(credType, msg, "", re)
	e.ErrorCode = networkField(re.Code, maxErrorCodeLen)
	e.description = networkText(re.Description, maxDescriptionLen)
	// The service's description starts with "AADSTSnnnnn:"; keep the number.
	if n, ok := aadstsCode(re.Description, true); ok {
		e.ErrorCodes = []int{n}
	}
	e.hint = hintFor(credType, e.ErrorCode, e.ErrorCodes)
	return e
}

// msalQuotes precede the body MSAL quotes in the error for a response it
// couldn't decode, a body that for a token response holds the tokens.
var msalQuotes = []string{"\nraw message was:", "\njson message bytes were:"}

// withoutResponseBody returns err, or, when err quotes a response body that
// MSAL couldn't decode, an error with err's message up to the quote that
// still matches the context errors err did. MSAL's error type for this has
// no Unwrap, so nothing below it is lost.
func withoutResponseBody(err error) error {
	var undecodable msalerrors.InvalidJsonErr
	if !errors.As(err, &undecodable) {
		return err
	}
	msg := err.Error()
	for _, q := range msalQuotes {
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

// networkLine is text of an error made safe for a one-line message: it may
// quote what a server or a browser sent.
func networkLine(s string) string {
	s, _ = safetext.Truncate(s, maxDescriptionLen)
	return safetext.Line(s)
}

// networkField is a short field from the network (an error code), cut to n
// bytes and made safe.
func networkField(s string, n int) string {
	s, _ = safetext.Truncate(s, n)
	return safetext.Line(s)
}

// networkText is a description from the network, cut to n bytes, made safe
// and with its line breaks kept (Entra ID puts its trace ID, correlation ID
// and timestamp on lines of their own).
func networkText(s string, n int) string {
	s, _ = safetext.Truncate(s, n)
	return safetext.Lines(s)
}
