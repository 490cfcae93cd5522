package entratest

import (
	"strings"
	"time"

	"github.com/azinteractive/azinteractive/entratest/internal/brokerhook"
)

// The broker emulator, entratest/brokertest, reaches a Server through brokerHooks, so
// that this package neither exports what only it needs nor imports D-Bus.
func init() {
	brokerhook.Of = func(srv any) brokerhook.Server { return brokerHooks{srv.(*Server)} }
}

// MSA passthrough: the extra parameter that lets personal accounts sign in to first-party apps.
const msaPassthroughParam, msaPassthroughValue = "msal_request_type", "consumer_passthrough"

type brokerHooks struct{ s *Server }

func (h brokerHooks) URL() string                     { return h.s.URL() }
func (h brokerHooks) Logf(format string, args ...any) { h.s.logf(format, args...) }
func (h brokerHooks) Now() time.Time                  { return h.s.now() }
func (h brokerHooks) LoginRequired() string           { return errLoginRequired().description() }
func (h brokerHooks) User(name string) (brokerhook.User, bool) {
	return h.lookup(func(d *directory) (User, bool) { return d.user(name) })
}
func (h brokerHooks) UserByOID(oid string) (brokerhook.User, bool) {
	return h.lookup(func(d *directory) (User, bool) { return d.userByOID(oid) })
}

func (h brokerHooks) lookup(f func(*directory) (User, bool)) (brokerhook.User, bool) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	u, ok := f(&h.s.dir)
	return hookUser(u), ok
}

func hookUser(u User) brokerhook.User {
	return brokerhook.User{Username: u.Username, DisplayName: u.DisplayName, ObjectID: u.ObjectID, TenantID: u.TenantID}
}

// Issue answers a broker token request from the directory, with the same checks and
// tokens as the token endpoint.
func (h brokerHooks) Issue(ap *brokerhook.AuthParameters, a *brokerhook.Account, interactive bool) (map[string]any, *brokerhook.Failure) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(status int, e *entraError) (map[string]any, *brokerhook.Failure) {
		return nil, &brokerhook.Failure{Status: status, ErrorCode: e.aadsts, Context: e.description()}
	}
	host, segment, ok := brokerhook.SplitAuthority(ap.Authority)
	if !ok {
		return fail(brokerhook.StatusAPIContractViolation, errInvalidParam("authority", "it is not an https URL with a tenant"))
	}
	app, ok := s.dir.app(ap.ClientID)
	if !ok {
		return fail(brokerhook.StatusIncorrectConfiguration, errAppNotFound(ap.ClientID, segment))
	}
	if !app.PublicClient {
		return fail(brokerhook.StatusIncorrectConfiguration, errPublicClientNotAllowed())
	}
	if !app.redirectURIRegistered(ap.RedirectURI) {
		return fail(brokerhook.StatusIncorrectConfiguration, errRedirectURINotRegistered(ap.RedirectURI, app))
	}
	ref, eerr := s.dir.lookupTenant(segment)
	if eerr != nil {
		return fail(brokerhook.StatusIncorrectConfiguration, eerr)
	}
	u, eerr := s.activeUser(a.OID)
	if eerr != nil {
		return fail(brokerhook.StatusAccountUnusable, eerr)
	}
	tid, eerr := ref.signInTenant(u, app)
	if eerr != nil && u.PersonalAccount && ref.kind == tenantOrganizations && ap.Additional[msaPassthroughParam] == msaPassthroughValue {
		// MSA passthrough: a personal account signs in to the first-party app through
		// /organizations.
		tid, eerr = consumersTenantID, nil
	}
	if eerr != nil {
		return fail(brokerhook.StatusUnexpected, eerr)
	}
	claims, eerr := parseClaims(ap.DecodedClaims)
	if eerr != nil {
		return fail(brokerhook.StatusAPIContractViolation, eerr)
	}
	scopes, eerr := parseScope(strings.Join(ap.RequestedScopes, " "))
	if eerr != nil {
		return fail(brokerhook.StatusIncorrectConfiguration, eerr)
	}
	now := s.now()
	if !interactive {
		if revoked, ok := s.state.revokedAt[u.ObjectID]; ok && a.AuthTime.Before(revoked) && claims.nbf < revoked.Unix() {
			// The broker's refresh failed the way the token endpoint's does after
			// RevokeSessions: pass the claims challenge to get past it.
			return fail(brokerhook.StatusInteractionRequired, errRefreshTokenRevoked(a.AuthTime, revoked, nbfChallenge(revoked)))
		}
		if !s.dir.consented(app, u) {
			return fail(brokerhook.StatusInteractionRequired, errConsentRequired(app))
		}
	}
	if interactive {
		s.dir.consent[[2]string{strings.ToLower(app.ClientID), u.ObjectID}] = true
	}
	if interactive || claims.nbf > 0 {
		a.AuthTime = now
	}
	scopes.openid = true
	g := grant{app: app, user: u, scopes: scopes, claims: claims,
		auth: authentication{oid: u.ObjectID, tid: tid, authTime: a.AuthTime, mfa: u.MFARequired}}
	base := "https://" + host
	if !s.isOwnHost(host) {
		base = s.URL()
	}
	resp := s.mintTokens(base, g, true)
	iat := max(now.Unix(), claims.nbf)
	return map[string]any{
		"accessToken":       resp.AccessToken,
		"accessTokenType":   0,
		"idToken":           resp.IDToken,
		"account":           brokerhook.AccountJSON(hookUser(u), tid, host),
		"clientInfo":        resp.ClientInfo,
		"expiresOn":         (iat + resp.ExpiresIn) * 1000,
		"extendedExpiresOn": (iat + resp.ExtExpiresIn) * 1000,
		"grantedScopes":     resp.Scope,
	}, nil
}
