package loopback

import (
	"fmt"
	"log/slog"

	"github.com/azinteractive/azinteractive/internal/safetext"
)

// Result is a successful authorization response.
//
// Its Code is a credential until redeemed (PKCE makes it useless without
// the verifier, but logs are not the place to test that), so every
// formatting path redacts it: %v, %+v, %#v, %s, %q, String, GoString and
// slog.
type Result struct {
	// Code is the authorization code, to redeem at the token endpoint with
	// the same redirect URI.
	Code string
}

const redactedResult = "loopback.Result{Code:[REDACTED]}"

// String returns a description of r without its code.
func (r Result) String() string { return redactedResult }

// GoString returns a description of r without its code.
func (r Result) GoString() string { return redactedResult }

// Format writes a description of r without its code, whatever the verb.
func (r Result) Format(f fmt.State, _ rune) { fmt.Fprint(f, redactedResult) }

// LogValue keeps the code out of structured logs.
func (r Result) LogValue() slog.Value { return slog.StringValue(redactedResult) }

// ResponseError is an error response from the authorization server (RFC
// 6749 §4.1.2.1) that carried this sign-in's state.
type ResponseError struct {
	// Code is the "error" parameter, like "access_denied".
	Code string
	// Description is the "error_description" parameter, verbatim (not
	// HTML-escaped); Microsoft Entra ID starts it with "AADSTSnnnnn:".
	Description string
}

// Error names the error code and its description, made fit for a terminal:
// both came from the browser's request.
func (e *ResponseError) Error() string {
	msg := fmt.Sprintf("the authorization server returned error %q", safetext.Line(e.Code))
	if e.Description != "" {
		msg += ": " + safetext.Line(e.Description)
	}
	return msg
}

// Cancelled reports whether the user declined: Microsoft Entra ID sends
// access_denied when the user cancels sign-in or refuses consent.
func (e *ResponseError) Cancelled() bool { return e.Code == "access_denied" }
