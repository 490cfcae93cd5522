package azinteractive

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// This file holds the error types and their one constructor each. Which type
// a failure becomes, and what its message says, is decided in one place:
// classify, in error_classify.go.
//
// Every message has the same shape: the credential's name, what happened (one
// line, or the service's multi-line description), the request and response
// when there was one, and, on its own last line, what to do next.

// AuthenticationFailedError reports that Microsoft Entra ID, or the user, refused
// a sign-in or a token. Use [errors.As] to get one; [errors.Is] reports
// [context.Canceled] or [context.DeadlineExceeded] when the sign-in ended because
// a context did. The message contents are not contractual.
type AuthenticationFailedError struct {
	// RawResponse is Microsoft Entra ID's HTTP response, when there was one.
	// Its body has already been read and can be read again.
	RawResponse *http.Response

	// ErrorCode is the OAuth error code, such as "invalid_grant",
	// "access_denied" or "expired_token", when the service or the user's
	// browser sent one, or when the credential knows it (a device code that
	// expired is "expired_token").
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
	hint        string // what to do next, one sentence
	err         error
}

// newAuthenticationFailedError is the one constructor of
// AuthenticationFailedError: the service's details (RawResponse, codes,
// description) are set by classify, which alone reads responses.
func newAuthenticationFailedError(credType, message, hint string, err error) *AuthenticationFailedError {
	return &AuthenticationFailedError{credType: credType, message: message, hint: hint, err: err}
}

// Error describes the failure and, on its last line, what to do about it.
func (e *AuthenticationFailedError) Error() string {
	var b strings.Builder
	b.WriteString(e.credType)
	b.WriteString(": ")
	e.writeSummary(&b)
	if e.description != "" {
		b.WriteString(": ")
		b.WriteString(e.description)
	}
	if r := e.RawResponse; r != nil {
		b.WriteString("\n")
		if r.Request != nil && r.Request.URL != nil {
			fmt.Fprintf(&b, "%s %s://%s%s\n", r.Request.Method, r.Request.URL.Scheme, r.Request.URL.Host, r.Request.URL.Path)
		}
		fmt.Fprintf(&b, "RESPONSE %s", r.Status)
	}
	hint := e.hint
	if hint == "" {
		hint = hintFor(e.credType, e.ErrorCode, e.ErrorCodes)
	}
	writeHint(&b, hint)
	return b.String()
}

// writeSummary writes what happened, with the error code.
func (e *AuthenticationFailedError) writeSummary(b *strings.Builder) {
	b.WriteString(e.message)
	if e.ErrorCode != "" && !strings.Contains(e.message, e.ErrorCode) {
		fmt.Fprintf(b, " (%s)", e.ErrorCode)
	}
}

// summary is the failure in one line, for another error that quotes it.
func (e *AuthenticationFailedError) summary() string {
	var b strings.Builder
	e.writeSummary(&b)
	if e.description != "" {
		b.WriteString(": ")
		b.WriteString(firstLine(e.description))
	}
	return b.String()
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
	err      error
}

// newAuthenticationRequiredError is the one constructor of
// AuthenticationRequiredError. cause, if not nil, says why the silent attempt
// failed (an expired refresh token, say).
func newAuthenticationRequiredError(credType string, opts policy.TokenRequestOptions, cause error) *AuthenticationRequiredError {
	return &AuthenticationRequiredError{TokenRequestOptions: opts, credType: credType, err: cause}
}

// Error says that the user must sign in.
func (e *AuthenticationRequiredError) Error() string {
	var b strings.Builder
	b.WriteString(e.credType)
	b.WriteString(": can't acquire a token without user interaction")
	var failed *AuthenticationFailedError
	switch {
	case errors.As(e.err, &failed):
		b.WriteString(": ")
		b.WriteString(failed.summary())
	case e.err != nil:
		b.WriteString(": ")
		b.WriteString(firstLine(e.err.Error()))
	}
	writeHint(&b, "Call Authenticate to sign the user in interactively.")
	return b.String()
}

// Unwrap returns the cause (if any), a [CredentialUnavailableError], and
// azidentity's credential-unavailable marker that its chains look for.
func (e *AuthenticationRequiredError) Unwrap() []error {
	unavailable := newCredentialUnavailableError(e.credType, "user interaction is required", "", nil)
	errs := []error{unavailable}
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
// of the same name. ChainedTokenCredential (azidentity's) then tries its next
// credential. The message is the error's text, as given.
func NewCredentialUnavailableError(message string) error {
	return &CredentialUnavailableError{message: message}
}

// newCredentialUnavailableError is the one constructor of
// CredentialUnavailableError inside this module.
func newCredentialUnavailableError(credType, message, hint string, err error) *CredentialUnavailableError {
	return &CredentialUnavailableError{credType: credType, message: message, hint: hint, err: err}
}

// Error says why the credential can't authenticate here.
func (e *CredentialUnavailableError) Error() string {
	if e.credType == "" {
		return e.message
	}
	var b strings.Builder
	b.WriteString(e.credType)
	b.WriteString(": ")
	b.WriteString(e.message)
	if e.err != nil {
		// The cause may quote what another process sent (a D-Bus error
		// from whoever owns the broker's name).
		b.WriteString(": ")
		b.WriteString(networkLine(firstLine(e.err.Error())))
	}
	writeHint(&b, e.hint)
	return b.String()
}

// Unwrap returns the cause (if any) and azidentity's credential-unavailable
// marker, which azidentity's ChainedTokenCredential and DefaultAzureCredential
// look for with [errors.As] to decide to try their next credential.
func (e *CredentialUnavailableError) Unwrap() []error {
	// The marker's type is unexported in azidentity; NewCredentialUnavailableError
	// is the supported way to make one.
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

// writeHint puts hint on a line of its own: the last line of every message,
// after the service's description and the request, where a reader looks
// for what to do.
func writeHint(b *strings.Builder, hint string) {
	if hint == "" {
		return
	}
	b.WriteString("\n")
	b.WriteString(hint)
}
