package entratest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
)

// protocolState is everything the server issued and has to remember. Server.mu guards it.
type protocolState struct {
	flows         map[string]*signInFlow   // by flow ID: sign-in pages in progress
	sessions      map[string]*session      // by session cookie value: the browser's signed-in users
	codes         map[string]*authCode     // by authorization code
	deviceCodes   map[string]*deviceCode   // by device_code
	userCodes     map[string]*deviceCode   // by user_code
	refreshTokens map[string]*refreshToken // by refresh token
	accessTokens  map[string]issuedToken   // by uti claim
	revokedAt     map[string]time.Time     // by user object ID: tokens issued earlier are revoked
	slowDown      int                      // device code polls still to answer with slow_down
}

func newProtocolState() protocolState {
	return protocolState{
		flows:         map[string]*signInFlow{},
		sessions:      map[string]*session{},
		codes:         map[string]*authCode{},
		deviceCodes:   map[string]*deviceCode{},
		userCodes:     map[string]*deviceCode{},
		refreshTokens: map[string]*refreshToken{},
		accessTokens:  map[string]issuedToken{},
		revokedAt:     map[string]time.Time{},
	}
}

// authentication is what a sign-in established: who, when, and how.
type authentication struct {
	oid      string    // user object ID
	tid      string    // tenant the tokens are for
	authTime time.Time // when the user entered credentials
	mfa      bool      // a second factor was used
}

// session is the emulator's sign-in cookie: the users signed in in one browser.
type session struct {
	users map[string]authentication // by user object ID
	order []string                  // user object IDs in sign-in order, for the account picker
}

// authCode is an authorization code and everything it's bound to.
type authCode struct {
	clientID      string
	redirectURI   string
	codeChallenge string
	nonce         string
	scope         string
	claims        string
	tenantSegment string
	auth          authentication
	expires       time.Time
	redeemed      bool
}

// deviceCode is one device authorization.
type deviceCode struct {
	deviceCode    string
	userCode      string
	clientID      string
	scope         string
	claims        string
	tenantSegment string
	expires       time.Time
	status        deviceCodeStatus
	auth          authentication // set when approved
}

type deviceCodeStatus int

const (
	devicePending deviceCodeStatus = iota
	deviceApproved
	deviceDenied
	deviceRedeemed
)

// refreshToken is an issued refresh token. Redeeming one rotates it: the old one stops working.
type refreshToken struct {
	clientID string
	auth     authentication
	issued   time.Time
	expires  time.Time
	redeemed bool
}

// issuedToken remembers an access token, for revocation checks.
type issuedToken struct {
	oid    string
	issued time.Time // full precision, unlike the iat claim
}

// randomString returns n random bytes, base64url-encoded without padding.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("entratest: reading random bytes: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// newGUID returns a random version 4 UUID.
func newGUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("entratest: reading random bytes: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// baseURL returns the scheme and host the request was sent to. Every URL in a response is
// built from it, so clients see the host they used (127.0.0.1:PORT or login.microsoftonline.com).
func baseURL(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}
