package azinteractive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

// AuthenticationFailedError reports that Microsoft Entra ID, or the user, refused
// a sign-in or a token. Use [errors.As] to get one; [errors.Is] reports
// [context.Canceled] or [context.DeadlineExceeded] when the sign-in ended because
// a context did. The message contents are not contractual.
type AuthenticationFailedError struct {
	// RawResponse is Microsoft Entra ID's HTTP response, when there was one.
	// Its body has already been read and can be read again.
	RawResponse *http.Response

	// ErrorCode is the OAuth error code, such as "invalid_grant" or
	// "access_denied", when the service or the user's browser sent one.
	ErrorCode string

	// ErrorCodes are the AADSTS numbers the service reported, such as 50126.
	ErrorCodes []int

	// Claims is a claims challenge the service sent with the error (for example
	// when multifactor authentication is required). Pass it back in
	// [policy.TokenRequestOptions.Claims] to an interactive credential.
	Claims string

	credType    string
	message     string
	description string
	err         error
}

// Error describes the failure and what to do about it.
func (e *AuthenticationFailedError) Error() string {
	var b strings.Builder
	b.WriteString(e.credType)
	b.WriteString(": ")
	if e.message != "" {
		b.WriteString(e.message)
	} else {
		b.WriteString("authentication failed")
	}
	if e.description != "" {
		b.WriteString(": ")
		b.WriteString(e.description)
	} else if e.err != nil && e.RawResponse == nil && !strings.Contains(e.message, e.err.Error()) {
		b.WriteString(": ")
		b.WriteString(e.err.Error())
	}
	if e.ErrorCode != "" {
		fmt.Fprintf(&b, " (error %q)", e.ErrorCode)
	}
	if hint := hintFor(e.credType, e.ErrorCode, e.ErrorCodes); hint != "" {
		b.WriteString(". ")
		b.WriteString(hint)
	}
	if r := e.RawResponse; r != nil {
		b.WriteString("\n")
		if r.Request != nil && r.Request.URL != nil {
			fmt.Fprintf(&b, "%s %s://%s%s\n", r.Request.Method, r.Request.URL.Scheme, r.Request.URL.Host, r.Request.URL.Path)
		}
		fmt.Fprintf(&b, "RESPONSE %s", r.Status)
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

// Error says that the user must sign in.
func (e *AuthenticationRequiredError) Error() string {
	msg := e.credType + " can't acquire a token without user interaction. Call Authenticate to sign the user in interactively"
	if e.err != nil {
		msg += " (" + e.err.Error() + ")"
	}
	return msg
}

// Unwrap returns the cause (if any), a [CredentialUnavailableError], and
// azidentity's credential-unavailable marker that its chains look for.
func (e *AuthenticationRequiredError) Unwrap() []error {
	unavailable := &CredentialUnavailableError{credType: e.credType, message: "user interaction is required"}
	errs := []error{unavailable}
	if e.err != nil {
		errs = append(errs, e.err)
	}
	return errs
}

// NonRetriable tells azcore's retry policy not to retry.
func (*AuthenticationRequiredError) NonRetriable() {}

// CredentialUnavailableError reports that a credential can't try to
// authenticate here: for example, no browser can be opened and the
// application asked to fail fast. Chains move on to their next credential.
type CredentialUnavailableError struct {
	credType string
	message  string
	err      error
}

// Error says why the credential can't authenticate here.
func (e *CredentialUnavailableError) Error() string {
	msg := e.credType + ": " + e.message
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	return msg
}

// Unwrap returns the cause (if any) and azidentity's credential-unavailable
// marker, which azidentity's ChainedTokenCredential and DefaultAzureCredential
// look for with [errors.As] to decide to try their next credential.
func (e *CredentialUnavailableError) Unwrap() []error {
	// The marker's type is unexported in azidentity; NewCredentialUnavailableError
	// is the supported way to make one.
	marker := azidentity.NewCredentialUnavailableError(e.credType + ": " + e.message)
	if e.err != nil {
		return []error{e.err, marker}
	}
	return []error{marker}
}

// NonRetriable tells azcore's retry policy not to retry.
func (*CredentialUnavailableError) NonRetriable() {}

// entraError is the JSON body of a Microsoft Entra ID error response.
type entraError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
	Claims      string `json:"claims"`
}

// newAuthFailed wraps err, the failure of a token request, in an
// AuthenticationFailedError with what the service's response says.
func newAuthFailed(credType string, err error) error {
	if err == nil {
		return nil
	}
	var already *AuthenticationFailedError
	var unavailable *CredentialUnavailableError
	if errors.As(err, &already) || errors.As(err, &unavailable) {
		return err
	}
	err = withoutResponseBody(err)
	e := &AuthenticationFailedError{credType: credType, err: err}
	var call msalerrors.CallErr
	if errors.As(err, &call) && call.Resp != nil {
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
			e.ErrorCode, e.description, e.ErrorCodes, e.Claims = body.Error, body.Description, body.Codes, body.Claims
		}
		if e.description == "" {
			e.message = fmt.Sprintf("authentication failed with HTTP status %d", call.Resp.StatusCode)
		}
	}
	var timeout *userTimeoutError
	switch {
	case errors.As(err, &timeout):
		e.message = timeout.Error()
	case errors.Is(err, context.DeadlineExceeded):
		e.message = "the token request didn't finish before the context's deadline"
	case errors.Is(err, context.Canceled):
		e.message = "the token request was canceled"
	}
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

// hintFor says what to do about the common failures. Codes are documented at
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes.
func hintFor(credType, code string, codes []int) string {
	for _, c := range codes {
		switch c {
		case 50076, 50079:
			if credType == credNameUsernamePassword {
				return "The account requires multifactor authentication, which a password alone can't satisfy: use InteractiveBrowserCredential or DeviceCodeCredential instead"
			}
			return "The account requires multifactor authentication: sign in again and complete the second step"
		case 50126:
			return "Check the username and password"
		case 50034:
			return "The user doesn't exist in this tenant: check the username and TenantID"
		case 50057:
			return "The user account is disabled: ask an administrator to enable it"
		case 65001:
			return "The application needs consent: sign in interactively once to grant it, or ask an administrator to grant consent for the tenant"
		case 700016:
			return "The application isn't registered in this tenant: check ClientID and TenantID"
		case 50020:
			return "The account isn't in the tenant: sign in with an account of that tenant, or set TenantID to the account's home tenant (\"consumers\" or \"common\" for personal Microsoft accounts)"
		case 50011:
			return "The redirect URI isn't registered for the application: register it, or set RedirectURL to a registered one"
		case 53000, 53001:
			return "Conditional Access requires a compliant or joined device: enroll the device (Intune Company Portal) and, on Linux, sign in through the identity broker (InteractiveBrowserCredentialOptions.Broker)"
		case 70016:
			return "The user hasn't finished signing in yet"
		case 70019, 70020:
			return "The device code expired before the user signed in: start again and finish signing in before the code expires"
		case 70000, 700082, 50173:
			return "The saved sign-in is no longer valid: sign in again"
		}
	}
	switch code {
	case "access_denied":
		return "The user canceled the sign-in or denied consent: sign in again to continue"
	case "authorization_declined":
		return "The user declined the sign-in: sign in again to continue"
	case "expired_token":
		return "The device code expired before the user signed in: start again"
	case "interaction_required":
		return "Sign in again interactively"
	}
	return ""
}
