package loopback

import (
	"fmt"
	"log/slog"

	"github.com/azinteractive/azinteractive/internal/safetext"
)

// Result is a successful authorization response. Its Code is a credential
// until redeemed, so every formatting path (fmt's verbs, slog) redacts it.
type Result struct {
	Code string // the authorization code, to redeem with the same redirect URI
}

const redactedResult = "loopback.Result{Code:[REDACTED]}"

// String returns a description of r without its code.
func (r Result) String() string { return redactedResult }

// Format writes a description of r without its code, whatever the verb.
func (r Result) Format(f fmt.State, _ rune) { fmt.Fprint(f, redactedResult) }

// LogValue keeps the code out of structured logs.
func (r Result) LogValue() slog.Value { return slog.StringValue(redactedResult) }

// ResponseError is an error response from the authorization server (RFC
// 6749 §4.1.2.1) that carried this sign-in's state.
type ResponseError struct {
	Code        string // "error", like "access_denied"
	Description string // "error_description", verbatim, like "AADSTS65004: ..."
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
