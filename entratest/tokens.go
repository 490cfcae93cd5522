package entratest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenResponse is the JSON body of a successful token request.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	RefreshIn    int64  `json:"refresh_in,omitempty"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientInfo   string `json:"client_info,omitempty"`
}

// grant is what a successful grant hands to issueTokens.
type grant struct {
	app    App
	user   User
	auth   authentication
	scopes scopeRequest
	claims claimsRequest
	nonce  string
}

// issueTokens mints the tokens for g and remembers the refresh token and access token.
// The caller holds s.mu.
func (s *Server) issueTokens(r *http.Request, form url.Values, g grant) tokenResponse {
	return s.mintTokens(baseURL(r), g, form.Get("client_info") == "1")
}

// mintTokens mints the tokens for g, issued by base (scheme and host), and remembers the
// refresh token and access token. The token endpoint and the broker share it, so their
// tokens verify alike. The caller holds s.mu.
func (s *Server) mintTokens(base string, g grant, clientInfo bool) tokenResponse {
	now := s.now()
	iat := now.Unix()
	if g.claims.nbf > iat {
		iat = g.claims.nbf // a CAE challenge asked for tokens valid from a later time
	}
	lifetime := int64(s.opts.AccessTokenLifetime / time.Second)
	issuer := base + "/" + g.auth.tid + "/v2.0"
	sub := pairwiseSubject(g.user.ObjectID, g.app.ClientID)
	amr := []string{"pwd"}
	if g.auth.mfa {
		amr = append(amr, "mfa")
	}
	uti := randomString(16)
	at := jwt.MapClaims{
		"aud":                g.scopes.resource,
		"iss":                issuer,
		"iat":                iat,
		"nbf":                iat,
		"exp":                iat + lifetime,
		"aio":                randomString(24),
		"amr":                amr,
		"appid":              g.app.ClientID,
		"appidacr":           "0",
		"azp":                g.app.ClientID,
		"azpacr":             "0",
		"name":               g.user.DisplayName,
		"oid":                g.user.ObjectID,
		"preferred_username": g.user.Username,
		"scp":                g.scopes.scp(),
		"sub":                sub,
		"tid":                g.auth.tid,
		"uti":                uti,
		"ver":                "2.0",
	}
	if g.user.PersonalAccount {
		at["idp"] = "live.com"
	} else {
		at["upn"] = g.user.Username
	}
	if g.claims.cp1 {
		at["xms_cc"] = []string{"CP1"}
	}
	resp := tokenResponse{
		TokenType:    "Bearer",
		Scope:        g.scopes.granted(),
		ExpiresIn:    lifetime,
		ExtExpiresIn: lifetime,
		AccessToken:  s.sign(at),
	}
	s.state.accessTokens[uti] = issuedToken{oid: g.user.ObjectID, issued: now}
	if s.opts.RefreshIn > 0 {
		resp.RefreshIn = int64((s.opts.RefreshIn + time.Second - 1) / time.Second)
	}
	if g.scopes.openid {
		idt := jwt.MapClaims{
			"aud":                g.app.ClientID,
			"iss":                issuer,
			"iat":                iat,
			"nbf":                iat,
			"exp":                iat + int64(idTokenLifetime/time.Second),
			"name":               g.user.DisplayName,
			"oid":                g.user.ObjectID,
			"preferred_username": g.user.Username,
			"sub":                sub,
			"tid":                g.auth.tid,
			"uti":                randomString(16),
			"ver":                "2.0",
		}
		if g.nonce != "" {
			idt["nonce"] = g.nonce
		}
		resp.IDToken = s.sign(idt)
	}
	if g.scopes.offlineAccess {
		resp.RefreshToken = "1.entratest." + randomString(48)
		s.state.refreshTokens[resp.RefreshToken] = &refreshToken{
			clientID: g.app.ClientID,
			auth:     g.auth,
			issued:   now,
			expires:  now.Add(s.opts.RefreshTokenLifetime),
		}
	}
	if clientInfo {
		ci, _ := json.Marshal(map[string]string{"uid": g.user.ObjectID, "utid": g.user.TenantID})
		resp.ClientInfo = base64.RawURLEncoding.EncodeToString(ci)
	}
	for _, secret := range []string{resp.AccessToken, resp.IDToken, resp.RefreshToken} {
		s.addSecret(secret)
	}
	return resp
}

// pairwiseSubject is the sub claim: like Entra's, unique per user and application.
func pairwiseSubject(oid, clientID string) string {
	sum := sha256.Sum256([]byte(oid + "|" + strings.ToLower(clientID)))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Server) sign(claims jwt.MapClaims) string {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.keyID
	signed, err := t.SignedString(s.signingKey)
	if err != nil {
		panic("entratest: signing token: " + err.Error())
	}
	return signed
}

// jwk is one key of the JWKS.
type jwk struct {
	Kty    string `json:"kty"`
	Use    string `json:"use"`
	Kid    string `json:"kid"`
	N      string `json:"n"`
	E      string `json:"e"`
	Alg    string `json:"alg"`
	Issuer string `json:"issuer"`
}

func (s *Server) jwks(r *http.Request) map[string][]jwk {
	pub := s.signingKey.PublicKey
	e := big2bytes(int64(pub.E))
	return map[string][]jwk{"keys": {{
		Kty:    "RSA",
		Use:    "sig",
		Kid:    s.keyID,
		N:      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E:      base64.RawURLEncoding.EncodeToString(e),
		Alg:    "RS256",
		Issuer: baseURL(r) + "/{tenantid}/v2.0",
	}}}
}

func big2bytes(v int64) []byte {
	var b []byte
	for ; v > 0; v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	return b
}

// VerifyAccessToken checks an access token the way a resource server would: the RS256
// signature against the server's key, exp and nbf against Options.Now, and an issuer of
// the form https://HOST/{tid}/v2.0 for a host this server answers for. It also applies
// [Server.RevokeSessions]: a token issued before its user's sessions were revoked fails
// with a [*ClaimsChallengeError]. It returns the token's claims, decoded as by
// encoding/json (numbers are float64).
func (s *Server) VerifyAccessToken(token string) (map[string]any, error) {
	claims, revoked, err := s.verifyAccessToken(token)
	if err != nil {
		return nil, err
	}
	if !revoked.IsZero() {
		return nil, &ClaimsChallengeError{Claims: nbfChallenge(revoked)}
	}
	return claims, nil
}

// verifyAccessToken is VerifyAccessToken, returning the claims of a valid token whose
// user's sessions were revoked after it was issued, with the time of the revocation.
func (s *Server) verifyAccessToken(token string) (map[string]any, time.Time, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != s.keyID {
			return nil, fmt.Errorf("unknown key ID %q", kid)
		}
		return &s.signingKey.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired())
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("entratest: invalid access token: %w", err)
	}
	iss, _ := claims["iss"].(string)
	tid, _ := claims["tid"].(string)
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != "https" || !s.isOwnHost(u.Host) || u.Path != "/"+tid+"/v2.0" {
		return nil, time.Time{}, fmt.Errorf("entratest: invalid access token: unexpected issuer %q", iss)
	}
	if ver, _ := claims["ver"].(string); ver != "2.0" {
		return nil, time.Time{}, errors.New("entratest: invalid access token: not a v2.0 access token")
	}
	uti, _ := claims["uti"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	issued, ok := s.state.accessTokens[uti]
	if !ok {
		return nil, time.Time{}, errors.New("entratest: invalid access token: not issued by this server")
	}
	if revoked, ok := s.state.revokedAt[issued.oid]; ok && issued.issued.Before(revoked) {
		return claims, revoked, nil
	}
	return claims, time.Time{}, nil
}

// isOwnHost reports whether a client can reach this server at host (host:port).
func (s *Server) isOwnHost(host string) bool {
	addr := s.ts.Listener.Addr().String()
	_, port, _ := strings.Cut(addr, ":")
	for _, h := range routedHosts {
		if strings.EqualFold(host, h) || strings.EqualFold(host, h+":443") {
			return true
		}
	}
	for _, h := range []string{addr, "localhost:" + port, "[::1]:" + port} {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}
