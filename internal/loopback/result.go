package loopback

import (
	"fmt"
	"log/slog"
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
