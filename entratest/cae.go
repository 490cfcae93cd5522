package entratest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RevokeSessions models a continuous access evaluation (CAE) critical event, such as an
// administrator revoking the user's sessions, and returns the claims challenge a
// CAE-enabled resource server sends afterwards:
//
//	{"access_token":{"nbf":{"essential":true,"value":"<unix time of the revocation>"}}}
//
// From then on, by the server's clock:
//   - [Server.VerifyAccessToken] rejects the user's access tokens issued before the
//     revocation with a [*ClaimsChallengeError] carrying that challenge;
//   - a refresh_token grant for a refresh token issued before the revocation fails with
//     400 invalid_grant AADSTS50173 and the challenge in the "claims" member, unless the
//     request's claims parameter carries an nbf value at least the revocation time (which is
//     what a client does after passing the challenge to MSAL's WithClaims). A request that
//     does succeeds, and its tokens have iat and nbf of at least that value;
//   - sign-in sessions (the stand-in browser's cookies) of the user created before the
//     revocation no longer count: the user must enter the password again.
//
// Interactive, device code and password grants are unaffected. It panics if the user
// doesn't exist.
func (s *Server) RevokeSessions(username string) (claimsChallenge string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.dir.user(username)
	if !ok {
		panic("entratest: RevokeSessions: unknown user " + username)
	}
	now := s.now()
	s.state.revokedAt[u.ObjectID] = now
	s.logf("revoked the sessions of %s", u.Username)
	return nbfChallenge(now)
}

// nbfChallenge is the CAE claims challenge for tokens revoked at t.
func nbfChallenge(t time.Time) string {
	return `{"access_token":{"nbf":{"essential":true,"value":"` + strconv.FormatInt(t.Unix(), 10) + `"}}}`
}

// ClaimsChallengeError is the error [Server.VerifyAccessToken] returns for a revoked token.
// A resource server sends Claims to the client, in a WWW-Authenticate header like the one
// WWWAuthenticate returns.
type ClaimsChallengeError struct {
	// Claims is the claims challenge (JSON), as returned by [Server.RevokeSessions].
	Claims string
}

// Error implements error.
func (e *ClaimsChallengeError) Error() string {
	return "entratest: access token revoked; claims challenge " + e.Claims
}

// WWWAuthenticate returns the WWW-Authenticate header value of a CAE-enabled resource
// server's 401 response, which carries the challenge base64-encoded.
func (e *ClaimsChallengeError) WWWAuthenticate() string {
	return fmt.Sprintf(`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="%s"`,
		base64.StdEncoding.EncodeToString([]byte(e.Claims)))
}

// claimsRequest is what the emulator understands of a claims parameter.
type claimsRequest struct {
	cp1 bool  // the client is CAE-capable: {"access_token":{"xms_cc":{"values":["CP1"]}}}
	nbf int64 // {"access_token":{"nbf":{"value":"<unix>"}}}, 0 when absent
}

// parseClaims parses a claims parameter. Claims other than xms_cc and nbf are accepted and
// ignored.
func parseClaims(raw string) (claimsRequest, *entraError) {
	var cr claimsRequest
	if strings.TrimSpace(raw) == "" {
		return cr, nil
	}
	var doc struct {
		AccessToken struct {
			XMSCC struct {
				Values []string `json:"values"`
			} `json:"xms_cc"`
			NBF struct {
				Value json.RawMessage `json:"value"`
			} `json:"nbf"`
		} `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return cr, errInvalidParam("claims", "it is not a JSON object: "+err.Error())
	}
	for _, v := range doc.AccessToken.XMSCC.Values {
		cr.cp1 = cr.cp1 || strings.EqualFold(v, "CP1")
	}
	if v := doc.AccessToken.NBF.Value; len(v) > 0 {
		n, err := strconv.ParseInt(strings.Trim(string(v), `"`), 10, 64)
		if err != nil {
			return cr, errInvalidParam("claims", "access_token.nbf.value is not a Unix time")
		}
		cr.nbf = n
	}
	return cr, nil
}

// mergeClaims combines the claims of an authorization and of its redemption.
func mergeClaims(a, b claimsRequest) claimsRequest {
	return claimsRequest{cp1: a.cp1 || b.cp1, nbf: max(a.nbf, b.nbf)}
}

func errInvalidParam(name, detail string) *entraError {
	return &entraError{code: "invalid_request", aadsts: 90100,
		msg: fmt.Sprintf("The parameter '%s' is empty or not valid: %s", name, detail)}
}
