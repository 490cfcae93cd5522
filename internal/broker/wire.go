package broker

import (
	"encoding/json"
	"fmt"
)

// The broker's address on the session bus.
const (
	BusName    = "com.microsoft.identity.broker1"
	ObjectPath = "/com/microsoft/identity/broker1"
	Interface  = "com.microsoft.identity.Broker1"
)

// ProtocolVersion is the first argument of every call, as clients send it.
const ProtocolVersion = "0.0"

// Method names.
const (
	MethodGetLinuxBrokerVersion     = "getLinuxBrokerVersion"
	MethodGetAccounts               = "getAccounts"
	MethodAcquireTokenSilently      = "acquireTokenSilently"
	MethodAcquireTokenInteractively = "acquireTokenInteractively"
	MethodRemoveAccount             = "removeAccount"
	MethodCancelInteractiveFlow     = "cancelInteractiveFlow"
)

// NoWindow is the uxContextHandle of a request with no parent window.
const NoWindow = -1

// RedirectURI is the broker's redirect URI for clientID; its app must allow it.
func RedirectURI(clientID string) string {
	return "ms-appx-web://Microsoft.AAD.BrokerPlugin/" + clientID
}

// Account is an account the broker knows. It keeps the JSON it came in: the
// broker wants its own object back, members we don't model included.
type Account struct {
	Environment    string `json:"environment,omitempty"`
	HomeAccountID  string `json:"homeAccountId,omitempty"`
	LocalAccountID string `json:"localAccountId,omitempty"`
	Realm          string `json:"realm,omitempty"`
	Username       string `json:"username,omitempty"`
	Name           string `json:"name,omitempty"`
	GivenName      string `json:"givenName,omitempty"`
	FamilyName     string `json:"familyName,omitempty"`
	ClientInfo     string `json:"clientInfo,omitempty"`
	PasswordExpiry int64  `json:"passwordExpiry,omitempty"`

	raw json.RawMessage // as the broker sent it; nil for an Account built here
}

// UnmarshalJSON keeps the broker's JSON beside the decoded members.
func (a *Account) UnmarshalJSON(b []byte) error {
	type plain Account
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*a = Account(p)
	a.raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON returns the broker's JSON for an account that came from it.
func (a Account) MarshalJSON() ([]byte, error) {
	if len(a.raw) > 0 {
		return a.raw, nil
	}
	type plain Account
	return json.Marshal(plain(a))
}

// String identifies the account.
func (a Account) String() string {
	return fmt.Sprintf("%s (home account %s)", a.Username, a.HomeAccountID)
}

type authParameters struct {
	Account                                   *Account          `json:"account,omitempty"`
	AdditionalQueryParametersForAuthorization map[string]string `json:"additionalQueryParametersForAuthorization,omitempty"`
	Authority                                 string            `json:"authority"`
	AuthorizationType                         int               `json:"authorizationType"`
	ClientID                                  string            `json:"clientId"`
	DecodedClaims                             string            `json:"decodedClaims,omitempty"`
	Prompt                                    string            `json:"prompt,omitempty"`
	RedirectURI                               string            `json:"redirectUri"`
	RequestedScopes                           []string          `json:"requestedScopes"`
	Username                                  string            `json:"username,omitempty"`
	UXContextHandle                           int64             `json:"uxContextHandle"`
}

type tokenRequest struct {
	Account        *Account       `json:"account,omitempty"`
	AuthParameters authParameters `json:"authParameters"`
}
