// Package brokerhook is the seam between entratest and brokertest: what the broker
// emulator needs of an entratest.Server (its directory, clock, log and token minting),
// without entratest exporting it or importing D-Bus.
package brokerhook

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Server is the part of an *entratest.Server the broker emulator uses. Its methods are
// safe for concurrent use.
type Server interface {
	URL() string
	Logf(format string, args ...any)
	Now() time.Time
	// User looks a user up by username, UserByOID by object ID.
	User(username string) (User, bool)
	UserByOID(oid string) (User, bool)
	// Issue answers a broker token request for account a: the JSON of a
	// brokerTokenResponse on success, else a failure. An interactive request is a fresh
	// authentication: it sets a.AuthTime and grants consent.
	Issue(p *AuthParameters, a *Account, interactive bool) (tokenResponse map[string]any, fail *Failure)
	// LoginRequired is the description of AADSTS50058, for prompt=none without a session.
	LoginRequired() string
}

// Of returns the Server of an *entratest.Server; entratest sets it.
var Of func(srv any) Server

// User is the part of a directory user the broker shows.
type User struct {
	Username, DisplayName, ObjectID, TenantID string
}

// Account is an account signed in to the broker.
type Account struct {
	OID, HomeTenant string
	// AuthTime is when the user last authenticated, for CAE revocation.
	AuthTime time.Time
}

// AuthParameters is a token request's authParameters, as the broker's clients send it.
type AuthParameters struct {
	Account           *WireAccount      `json:"account"`
	Authority         string            `json:"authority"`
	AuthorizationType int               `json:"authorizationType"`
	ClientID          string            `json:"clientId"`
	DecodedClaims     string            `json:"decodedClaims"`
	Prompt            string            `json:"prompt"`
	RedirectURI       string            `json:"redirectUri"`
	RequestedScopes   []string          `json:"requestedScopes"`
	Username          string            `json:"username"`
	UXContextHandle   *int64            `json:"uxContextHandle"`
	Additional        map[string]string `json:"additionalQueryParametersForAuthorization"`
}

// WireAccount is the part of a broker account object the emulator reads back.
type WireAccount struct {
	HomeAccountID string `json:"homeAccountId"`
	Username      string `json:"username"`
}

// Failure is why Issue refused: the broker status (MSALRuntime's ResponseStatus), the
// AADSTS code and its description.
type Failure struct {
	Status    int
	ErrorCode int
	Context   string
}

// The broker statuses Issue fails with.
const (
	StatusUnexpected             = 0
	StatusInteractionRequired    = 2
	StatusAPIContractViolation   = 6
	StatusIncorrectConfiguration = 9
	StatusAccountUnusable        = 13
)

// AccountJSON is the broker's account object for u, signed in to realm at environment.
func AccountJSON(u User, realm, environment string) map[string]any {
	ci, _ := json.Marshal(map[string]string{"uid": u.ObjectID, "utid": u.TenantID})
	given, _, _ := strings.Cut(u.DisplayName, " ")
	return map[string]any{
		"clientInfo":     base64.RawURLEncoding.EncodeToString(ci),
		"environment":    environment,
		"givenName":      given,
		"homeAccountId":  u.ObjectID + "." + u.TenantID,
		"localAccountId": u.ObjectID,
		"name":           u.DisplayName,
		"passwordExpiry": 0,
		"realm":          realm,
		"username":       u.Username,
	}
}

// SplitAuthority splits an authority URL into its host and tenant segment.
func SplitAuthority(authority string) (host, tenant string, ok bool) {
	u, err := url.Parse(authority)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", "", false
	}
	tenant, _, _ = strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return u.Host, tenant, tenant != ""
}
