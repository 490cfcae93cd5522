package azinteractive

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/internal/safetext"
)

// authenticationRecordVersion is the only version of the record's JSON that
// Go, Python, .NET, JavaScript and Java write.
const authenticationRecordVersion = "1.0"

// AuthenticationRecord is non-secret account information about a signed-in user.
// Credentials use it to find that user's cached tokens. Get one from a
// credential's Authenticate method, save it (it marshals to JSON), and pass it
// back in the AuthenticationRecord option so a later run signs in silently.
//
// Its JSON is the one azure-identity writes in Python, .NET, Java and
// JavaScript, and this package reads records written by any of them.
type AuthenticationRecord struct {
	// Authority is the host of the authority that signed the user in, such as
	// "login.microsoftonline.com".
	Authority string `json:"authority"`

	// ClientID is the ID of the application the user signed in to.
	ClientID string `json:"clientId"`

	// HomeAccountID uniquely identifies the account.
	HomeAccountID string `json:"homeAccountId"`

	// TenantID identifies the tenant in which the user signed in.
	TenantID string `json:"tenantId"`

	// Username is the user's preferred username.
	Username string `json:"username"`

	// Version of the record's format.
	Version string `json:"version"`
}

// UnmarshalJSON reads a record, accepting an authority written as a bare host
// (Python, .NET), as "https://host" (azidentity) or as a full authority URL,
// and rejecting versions it doesn't know.
func (a *AuthenticationRecord) UnmarshalJSON(b []byte) error {
	// A distinct type unmarshals the fields without recursing into this method.
	type plain AuthenticationRecord
	var r plain
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("AuthenticationRecord: %w", err)
	}
	if r.Version == "" {
		return errors.New("AuthenticationRecord: the record has no version; it wasn't written by Authenticate")
	}
	if r.Version != authenticationRecordVersion {
		return fmt.Errorf("AuthenticationRecord: unsupported version %q; this module reads version %q. Sign in again with Authenticate to get a new record", r.Version, authenticationRecordVersion)
	}
	host, err := authorityHost(r.Authority)
	if err != nil {
		return err
	}
	r.Authority = host
	*a = AuthenticationRecord(r)
	return nil
}

// authorityHost returns the host of a record's authority.
func authorityHost(authority string) (string, error) {
	if authority == "" || !strings.Contains(authority, "://") {
		return strings.ToLower(authority), nil
	}
	u, err := url.Parse(authority)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("AuthenticationRecord: authority %q is neither a host nor a URL", authority)
	}
	return strings.ToLower(u.Host), nil
}

// IsZero reports whether the record is empty, as when no user has signed in.
func (a AuthenticationRecord) IsZero() bool { return a == AuthenticationRecord{} }

// account is the record as MSAL's account; only HomeAccountID selects tokens.
func (a AuthenticationRecord) account() public.Account {
	return public.Account{
		Environment:       a.Authority,
		HomeAccountID:     a.HomeAccountID,
		PreferredUsername: a.Username,
	}
}

// newAuthenticationRecord describes the user of a sign-in.
func newAuthenticationRecord(ar public.AuthResult) (AuthenticationRecord, error) {
	u, err := url.Parse(ar.IDToken.Issuer)
	if err != nil || u.Host == "" {
		return AuthenticationRecord{}, fmt.Errorf("the ID token's issuer %q isn't a URL", ar.IDToken.Issuer)
	}
	tenant := ar.IDToken.TenantID
	if tenant == "" {
		tenant = strings.TrimSuffix(strings.Trim(u.Path, "/"), "/v2.0")
	}
	username := ar.IDToken.PreferredUsername
	if username == "" {
		username = ar.IDToken.UPN
	}
	if len(username) > maxUsernameLen {
		return AuthenticationRecord{}, tooLong("the ID token's preferred_username", len(username), maxUsernameLen)
	}
	// Applications print the username ("Signed in as ..."): it came from
	// the network, so nothing in it may drive their terminal. Tokens are
	// found by HomeAccountID, never by username.
	username = safetext.Line(username)
	return AuthenticationRecord{
		Authority:     strings.ToLower(u.Host),
		ClientID:      ar.IDToken.Audience,
		HomeAccountID: ar.Account.HomeAccountID,
		TenantID:      tenant,
		Username:      username,
		Version:       authenticationRecordVersion,
	}, nil
}
