package entratest

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
)

// MSA passthrough: the extra parameter that lets personal accounts sign in to first-party apps.
const msaPassthroughParam, msaPassthroughValue = "msal_request_type", "consumer_passthrough"

// issue answers a token request for a broker account. The caller holds b.mu.
func (b *Broker) issue(ap *brokerWireAuthParameters, a *brokerAccount, interactive bool) string {
	answer, _ := b.issueChecked(ap, a, interactive)
	return answer
}

// issueChecked is issue, reporting whether tokens were issued. An interactive request
// is a fresh authentication: it updates a.authTime and grants consent. The caller
// holds b.mu.
func (b *Broker) issueChecked(ap *brokerWireAuthParameters, a *brokerAccount, interactive bool) (string, bool) {
	s := b.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(status BrokerStatus, e *entraError) (string, bool) {
		return errorJSON(true, BrokerError{Status: status, ErrorCode: e.aadsts, Context: e.description()}), false
	}
	host, segment, ok := splitAuthority(ap.Authority)
	if !ok {
		return fail(BrokerStatusAPIContractViolation, errInvalidParam("authority", "it is not an https URL with a tenant"))
	}
	app, ok := s.dir.app(ap.ClientID)
	if !ok {
		return fail(BrokerStatusIncorrectConfiguration, errAppNotFound(ap.ClientID, segment))
	}
	if !app.PublicClient {
		return fail(BrokerStatusIncorrectConfiguration, errPublicClientNotAllowed())
	}
	if !app.redirectURIRegistered(ap.RedirectURI) {
		return fail(BrokerStatusIncorrectConfiguration, errRedirectURINotRegistered(ap.RedirectURI, app))
	}
	ref, eerr := s.dir.lookupTenant(segment)
	if eerr != nil {
		return fail(BrokerStatusIncorrectConfiguration, eerr)
	}
	u, eerr := s.activeUser(a.oid)
	if eerr != nil {
		return fail(BrokerStatusAccountUnusable, eerr)
	}
	tid, eerr := ref.signInTenant(u, app)
	if eerr != nil && u.PersonalAccount && ref.kind == tenantOrganizations && ap.Additional[msaPassthroughParam] == msaPassthroughValue {
		// MSA passthrough: a personal account signs in to the first-party app through
		// /organizations.
		tid, eerr = ConsumersTenantID, nil
	}
	if eerr != nil {
		return fail(BrokerStatusUnexpected, eerr)
	}
	claims, eerr := parseClaims(ap.DecodedClaims)
	if eerr != nil {
		return fail(BrokerStatusAPIContractViolation, eerr)
	}
	scopes, eerr := parseScope(strings.Join(ap.RequestedScopes, " "))
	if eerr != nil {
		return fail(BrokerStatusIncorrectConfiguration, eerr)
	}
	now := s.now()
	if !interactive {
		if revoked, ok := s.state.revokedAt[u.ObjectID]; ok && a.authTime.Before(revoked) && claims.nbf < revoked.Unix() {
			// The broker's refresh failed the way the token endpoint's does after
			// RevokeSessions: pass the claims challenge to get past it.
			return fail(BrokerStatusInteractionRequired, errRefreshTokenRevoked(a.authTime, revoked, nbfChallenge(revoked)))
		}
		if !s.dir.consented(app, u) {
			return fail(BrokerStatusInteractionRequired, errConsentRequired(app))
		}
	}
	if interactive {
		s.dir.consent[[2]string{strings.ToLower(app.ClientID), u.ObjectID}] = true
	}
	if interactive || claims.nbf > 0 {
		a.authTime = now
	}
	scopes.openid = true
	g := grant{app: app, user: u, scopes: scopes, claims: claims,
		auth: authentication{oid: u.ObjectID, tid: tid, authTime: a.authTime, mfa: u.MFARequired}}
	base := "https://" + host
	if !s.isOwnHost(host) {
		base = s.URL()
	}
	resp := s.mintTokens(base, g, true)
	iat := max(now.Unix(), claims.nbf)
	tr := map[string]any{
		"accessToken":       resp.AccessToken,
		"accessTokenType":   0,
		"idToken":           resp.IDToken,
		"account":           accountJSON(u, tid, host),
		"clientInfo":        resp.ClientInfo,
		"expiresOn":         (iat + resp.ExpiresIn) * 1000,
		"extendedExpiresOn": (iat + resp.ExtExpiresIn) * 1000,
		"grantedScopes":     resp.Scope,
	}
	out, err := json.Marshal(map[string]any{"brokerTokenResponse": tr})
	if err != nil {
		panic("entratest: broker: " + err.Error())
	}
	return string(out), true
}

// accountJSON is the broker's account object for u, signed in to realm at environment.
func accountJSON(u User, realm, environment string) map[string]any {
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

// splitAuthority splits an authority URL into its host and tenant segment.
func splitAuthority(authority string) (host, tenant string, ok bool) {
	u, err := url.Parse(authority)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", "", false
	}
	tenant, _, _ = strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return u.Host, tenant, tenant != ""
}
