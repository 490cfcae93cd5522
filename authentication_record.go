package azinteractive

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/azinteractive/azinteractive/internal/safetext"
)

// authenticationRecordVersion is the only one that azure-identity writes, in
// every language.
const authenticationRecordVersion = "1.0"

// AuthenticationRecord is non-secret account information about a signed-in
// user, with which credentials find that user's cached tokens. Get one from
// a credential's Authenticate method, save it (it marshals to JSON), and pass
// it back in the AuthenticationRecord option so a later run signs in
// silently. It is azidentity's own type; credentials accept records written
// by azure-identity in any language, with the authority as a bare host,
// "https://host" or a full authority URL.
type AuthenticationRecord = azidentity.AuthenticationRecord

// recordHost returns the lowercase host of a record's authority, in any of
// its forms; "" when it names none.
func recordHost(authority string) (string, error) {
	if authority == "" || !strings.Contains(authority, "://") {
		return strings.ToLower(strings.TrimSuffix(authority, "/")), nil
	}
	u, err := url.Parse(authority)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("authority %q is neither a host nor a URL", authority)
	}
	return strings.ToLower(u.Host), nil
}

// newRecord is the record of an account signed in at host, with the
// authority in azidentity's form; username came from the network, and
// applications print it.
func newRecord(host, clientID, homeAccountID, tenant, username string) AuthenticationRecord {
	return AuthenticationRecord{
		Authority:     "https://" + strings.ToLower(host),
		ClientID:      clientID,
		HomeAccountID: homeAccountID,
		TenantID:      tenant,
		Username:      safetext.Line(username),
		Version:       authenticationRecordVersion,
	}
}

func isZeroRecord(r AuthenticationRecord) bool { return r == AuthenticationRecord{} }

// msalAccount is the record as MSAL's account; HomeAccountID selects tokens.
func msalAccount(a AuthenticationRecord) public.Account {
	host, _ := recordHost(a.Authority)
	return public.Account{
		Environment:       host,
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
	tenant := cmp.Or(ar.IDToken.TenantID, strings.TrimSuffix(strings.Trim(u.Path, "/"), "/v2.0"))
	username := cmp.Or(ar.IDToken.PreferredUsername, ar.IDToken.UPN)
	if len(username) > maxUsernameLen {
		return AuthenticationRecord{}, tooLong("the ID token's preferred_username", len(username), maxUsernameLen)
	}
	return newRecord(u.Host, ar.IDToken.Audience, ar.Account.HomeAccountID, tenant, username), nil
}
