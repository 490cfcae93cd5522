package entratest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// serveToken serves POST /{tenant}/oauth2/v2.0/token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, rt route) {
	resp, eerr := s.token(r, rt.tenant, r.PostForm)
	if eerr != nil {
		s.writeError(w, r, eerr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) token(r *http.Request, tenantSegment string, form url.Values) (tokenResponse, *entraError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, eerr := s.dir.lookupTenant(tenantSegment)
	if eerr != nil {
		return tokenResponse{}, eerr
	}
	clientID := form.Get("client_id")
	if clientID == "" {
		return tokenResponse{}, errMissingParam("client_id")
	}
	app, ok := s.dir.app(clientID)
	if !ok {
		return tokenResponse{}, errAppNotFound(clientID, tenantSegment)
	}
	grantType := form.Get("grant_type")
	if grantType == "" {
		return tokenResponse{}, errMissingParam("grant_type")
	}
	if form.Get("client_secret") != "" || form.Get("client_assertion") != "" {
		// The emulator models public clients only; it knows no client credentials.
		return tokenResponse{}, &entraError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: 7000215,
			msg: "Invalid client secret provided. (entratest emulates public clients only.)"}
	}
	if !app.PublicClient {
		return tokenResponse{}, errPublicClientNotAllowed()
	}
	claims, eerr := parseClaims(form.Get("claims"))
	if eerr != nil {
		return tokenResponse{}, eerr
	}
	var g grant
	switch grantType {
	case "authorization_code":
		g, eerr = s.authorizationCodeGrant(ref, app, form)
	case "device_code", "urn:ietf:params:oauth:grant-type:device_code":
		g, eerr = s.deviceCodeGrant(app, form)
	case "password":
		g, eerr = s.passwordGrant(ref, app, form)
	case "refresh_token":
		g, eerr = s.refreshTokenGrant(ref, app, form, claims)
	default:
		eerr = errUnsupportedGrant(grantType)
	}
	if eerr != nil {
		return tokenResponse{}, eerr
	}
	g.claims = mergeClaims(g.claims, claims)
	return s.issueTokens(r, form, g), nil
}

// scopeOf parses the request's scope, or fallback when the request has none.
func scopeOf(form url.Values, fallback string) (scopeRequest, *entraError) {
	raw := form.Get("scope")
	if strings.TrimSpace(raw) == "" {
		raw = fallback
	}
	return parseScope(raw)
}

// authorizationCodeGrant redeems an authorization code. Codes are single-use and bound to
// the client, redirect URI, PKCE challenge, tenant and user.
func (s *Server) authorizationCodeGrant(ref tenantRef, app App, form url.Values) (grant, *entraError) {
	code := form.Get("code")
	if code == "" {
		return grant{}, errMissingParam("code")
	}
	ac, ok := s.state.codes[code]
	switch {
	case !ok:
		return grant{}, errInvalidGrant("The authorization code is not valid.")
	case ac.redeemed:
		return grant{}, errCodeRedeemed()
	case s.now().After(ac.expires):
		return grant{}, errCodeExpired()
	case !strings.EqualFold(ac.clientID, app.ClientID):
		return grant{}, errInvalidGrant("The authorization code was issued to a different client.")
	case form.Get("redirect_uri") != ac.redirectURI:
		return grant{}, errRedirectURIMismatch(form.Get("redirect_uri"), ac.redirectURI)
	case !pkceMatches(form.Get("code_verifier"), ac.codeChallenge):
		return grant{}, errPKCEMismatch()
	case ref.kind == tenantSpecific && !strings.EqualFold(ref.tenant.ID, ac.auth.tid):
		return grant{}, errCodeOtherTenant()
	}
	u, eerr := s.activeUser(ac.auth.oid)
	if eerr != nil {
		return grant{}, eerr
	}
	scopes, eerr := scopeOf(form, ac.scope)
	if eerr != nil {
		return grant{}, eerr
	}
	codeClaims, _ := parseClaims(ac.claims) // validated at the authorize endpoint
	ac.redeemed = true
	return grant{app: app, user: u, auth: ac.auth, scopes: scopes, claims: codeClaims, nonce: ac.nonce}, nil
}

// pkceMatches checks an RFC 7636 S256 code verifier against its challenge.
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// deviceCodeGrant polls a device code.
func (s *Server) deviceCodeGrant(app App, form url.Values) (grant, *entraError) {
	code := form.Get("device_code")
	if code == "" {
		return grant{}, errMissingParam("device_code")
	}
	dc, ok := s.state.deviceCodes[code]
	switch {
	case !ok:
		return grant{}, errInvalidGrant("The device code is not valid.")
	case !strings.EqualFold(dc.clientID, app.ClientID):
		return grant{}, errInvalidGrant("The device code was issued to a different client.")
	case dc.status == deviceRedeemed:
		return grant{}, errInvalidGrant("The device code was already redeemed.")
	case s.now().After(dc.expires):
		return grant{}, errDeviceCodeExpired()
	case dc.status == deviceDenied:
		return grant{}, errDeviceCodeDeclined()
	case dc.status == devicePending:
		if s.state.slowDown > 0 {
			s.state.slowDown--
			return grant{}, errSlowDown()
		}
		return grant{}, errAuthorizationPending()
	}
	u, eerr := s.activeUser(dc.auth.oid)
	if eerr != nil {
		return grant{}, eerr
	}
	scopes, eerr := scopeOf(form, dc.scope)
	if eerr != nil {
		return grant{}, eerr
	}
	dcClaims, _ := parseClaims(dc.claims) // validated at the device code endpoint
	dc.status = deviceRedeemed
	return grant{app: app, user: u, auth: dc.auth, scopes: scopes, claims: dcClaims}, nil
}

// passwordGrant is the resource owner password credentials grant (ROPC).
func (s *Server) passwordGrant(ref tenantRef, app App, form url.Values) (grant, *entraError) {
	if ref.kind == tenantCommon || ref.kind == tenantConsumers {
		return grant{}, errPasswordGrantEndpoint()
	}
	username, password := form.Get("username"), form.Get("password")
	switch {
	case username == "":
		return grant{}, errMissingParam("username")
	case password == "":
		return grant{}, errMissingParam("password")
	}
	directoryName := ref.segment
	u, ok := s.dir.user(username)
	switch {
	case !ok:
		return grant{}, errUnknownUser(directoryName)
	case u.Password != password:
		return grant{}, errBadPassword()
	case u.Disabled:
		return grant{}, errUserDisabled()
	case ref.kind == tenantSpecific && !u.PersonalAccount && !strings.EqualFold(u.TenantID, ref.tenant.ID):
		return grant{}, errUnknownUser(directoryName)
	}
	tid, eerr := ref.signInTenant(u, app)
	if eerr != nil {
		return grant{}, eerr
	}
	scopes, eerr := scopeOf(form, "")
	if eerr != nil {
		return grant{}, eerr
	}
	if !s.dir.consented(app, u) {
		return grant{}, errConsentRequired(app)
	}
	if u.MFARequired {
		return grant{}, errMFARequired(scopes.resource)
	}
	return grant{app: app, user: u, scopes: scopes,
		auth: authentication{oid: u.ObjectID, tid: tid, authTime: s.now()}}, nil
}

// refreshTokenGrant redeems a refresh token for any resource and any tenant the user can
// sign in to, and rotates it.
func (s *Server) refreshTokenGrant(ref tenantRef, app App, form url.Values, claims claimsRequest) (grant, *entraError) {
	token := form.Get("refresh_token")
	if token == "" {
		return grant{}, errMissingParam("refresh_token")
	}
	rt, ok := s.state.refreshTokens[token]
	now := s.now()
	switch {
	case !ok:
		return grant{}, errRefreshTokenMalformed()
	case rt.redeemed && !s.opts.ReusableRefreshTokens:
		return grant{}, errRefreshTokenRedeemed()
	case now.After(rt.expires):
		return grant{}, errRefreshTokenExpired(rt.issued, now.Sub(rt.issued))
	case !strings.EqualFold(rt.clientID, app.ClientID):
		return grant{}, errInvalidGrant("The refresh token was issued to a different client.")
	}
	u, eerr := s.activeUser(rt.auth.oid)
	if eerr != nil {
		return grant{}, eerr
	}
	tid, eerr := ref.signInTenant(u, app)
	if eerr != nil {
		return grant{}, eerr
	}
	if revoked, ok := s.state.revokedAt[u.ObjectID]; ok && rt.issued.Before(revoked) && claims.nbf < revoked.Unix() {
		return grant{}, errRefreshTokenRevoked(rt.issued, revoked, nbfChallenge(revoked))
	}
	scopes, eerr := scopeOf(form, "")
	if eerr != nil {
		return grant{}, eerr
	}
	rt.redeemed = true
	auth := rt.auth
	auth.tid = tid
	return grant{app: app, user: u, auth: auth, scopes: scopes}, nil
}

// activeUser returns the user with the object ID if it still exists and isn't disabled.
func (s *Server) activeUser(oid string) (User, *entraError) {
	u, ok := s.dir.userByOID(oid)
	switch {
	case !ok:
		return User{}, errInvalidGrant("The user no longer exists.")
	case u.Disabled:
		return User{}, errUserDisabled()
	}
	return u, nil
}
