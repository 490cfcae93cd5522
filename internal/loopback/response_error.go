package loopback

import (
	"fmt"

	"github.com/azinteractive/azinteractive/internal/safetext"
)

// ResponseError is an error response from the authorization server (RFC
// 6749 §4.1.2.1) that carried this sign-in's state: the sign-in ended without
// a code.
type ResponseError struct {
	// Code is the "error" parameter, like "access_denied" or
	// "invalid_request".
	Code string
	// Description is the "error_description" parameter, verbatim (not
	// HTML-escaped); Microsoft Entra ID starts it with "AADSTSnnnnn:".
	Description string
}

// Error names the error code and its description, which came from the
// browser's request: safetext keeps them fit for a terminal.
func (e *ResponseError) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("the authorization server returned error %q", safetext.Line(e.Code))
	}
	return fmt.Sprintf("the authorization server returned error %q: %s", safetext.Line(e.Code), safetext.Line(e.Description))
}

// Cancelled reports whether the user declined: Microsoft Entra ID sends
// access_denied when the user cancels sign-in or refuses consent.
func (e *ResponseError) Cancelled() bool { return e.Code == "access_denied" }
