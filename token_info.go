package azinteractive

import (
	"fmt"
	"time"
)

// TokenInfo is an access token with everything known about it, as returned by
// a credential's GetTokenInfo method (azure-identity's get_token_info).
// Formatting a TokenInfo with fmt never prints the token.
type TokenInfo struct {
	// Token is the access token. Treat it as a secret.
	Token string
	// ExpiresOn is when the token expires.
	ExpiresOn time.Time
	// RefreshOn is when the service suggests refreshing the token; zero when
	// it made no suggestion.
	RefreshOn time.Time
	// TokenType is the token's type, such as "Bearer".
	TokenType string
	// Account is the user the token belongs to.
	Account AuthenticationRecord
}

// String describes t without its token.
func (t TokenInfo) String() string {
	return fmt.Sprintf("TokenInfo{Token: <redacted>, ExpiresOn: %s, RefreshOn: %s, TokenType: %q, Account: %q}",
		t.ExpiresOn.Format(time.RFC3339), t.RefreshOn.Format(time.RFC3339), t.TokenType, t.Account.Username)
}

// GoString describes t without its token, for %#v.
func (t TokenInfo) GoString() string { return "azinteractive." + t.String() }

// Format keeps the token out of every fmt verb.
func (t TokenInfo) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = fmt.Fprint(f, t.GoString())
		return
	}
	_, _ = fmt.Fprint(f, t.String())
}
