package entratest

import (
	"net/url"
	"strings"
)

// Tenant is an Entra tenant (a directory).
type Tenant struct {
	// ID is the tenant ID, a GUID. Required.
	ID string
	// Domain is a verified domain name, usable instead of the ID in authority URLs
	// (https://host/contoso.com). Optional. It must not contain "token": MSAL derives the
	// device code endpoint by replacing every "token" in the token endpoint URL.
	Domain string
	// AllowPersonalAccounts lets personal Microsoft accounts sign in through this tenant's
	// endpoints, as B2B guests (the token's tid is then this tenant). Without it they get
	// AADSTS50020.
	AllowPersonalAccounts bool
}

// User is a user account.
type User struct {
	// Username is the sign-in name (UPN or email), matched case-insensitively. Required.
	Username string
	// Password is the user's password. Required unless the user only signs in through
	// ApproveDeviceCode.
	Password string
	// DisplayName is the name claim. Defaults to the part of Username before "@".
	DisplayName string
	// TenantID is the user's home tenant. Defaults to DefaultTenantID, or Entra's consumers tenant
	// for personal accounts.
	TenantID string
	// ObjectID is the oid claim. A random GUID is generated when it's empty.
	ObjectID string
	// MFARequired makes sign-in pages ask for a second factor, and the password grant fail
	// with AADSTS50076 and a claims challenge.
	MFARequired bool
	// PersonalAccount marks a personal Microsoft account (like outlook.com). Such users sign
	// in through /consumers or /common, or through tenants that allow personal accounts.
	PersonalAccount bool
	// Disabled blocks every sign-in with AADSTS50057.
	Disabled bool
	// Federated makes the user realm endpoint report a federated (WS-Trust) domain, whose
	// metadata URL answers 404, so MSAL's username/password flow fails as it would against a
	// federation server it can't use. Browser and device code sign-in work as for managed
	// users: the emulator plays the federation server's sign-in page.
	Federated bool
}

// App is an application registration.
type App struct {
	// ClientID is the application (client) ID. Required.
	ClientID string
	// RedirectURIs are the registered redirect URIs. Loopback URIs (hosts localhost,
	// 127.0.0.1 or [::1]) match any port, as in Entra ID; the scheme, host and path must
	// still match (an empty path equals "/"). Other URIs must match exactly.
	RedirectURIs []string
	// PublicClient allows public client flows: token requests without a client secret,
	// the device code flow and the username/password flow. The zero value models a
	// confidential (web) app, whose secretless token requests fail with AADSTS7000218, so
	// set it for apps used with the credentials of this module.
	PublicClient bool
	// ConsentGranted means an administrator consented for every user. Without it, each user
	// sees a consent page at first sign-in, and the password grant fails with AADSTS65001
	// until the user consented interactively.
	ConsentGranted bool
	// Name is the display name shown on sign-in pages. Defaults to the client ID.
	Name string
}

// directory holds the tenants, users, apps and consent. Server.mu guards it.
type directory struct {
	tenants map[string]*Tenant // by lower-case ID and lower-case domain
	users   map[string]*User   // by lower-case username
	apps    map[string]*App    // by lower-case client ID
	consent map[[2]string]bool // {client ID, user object ID} → consented
}

func newDirectory() directory {
	return directory{
		tenants: map[string]*Tenant{},
		users:   map[string]*User{},
		apps:    map[string]*App{},
		consent: map[[2]string]bool{},
	}
}

func (s *Server) addDefaults() {
	s.AddTenant(Tenant{ID: DefaultTenantID, Domain: DefaultTenantDomain})
	s.AddTenant(Tenant{ID: consumersTenantID})
	s.AddApp(App{
		ClientID:       DefaultClientID,
		Name:           "Microsoft Azure CLI",
		RedirectURIs:   []string{"http://localhost", "ms-appx-web://Microsoft.AAD.BrokerPlugin/" + DefaultClientID},
		PublicClient:   true,
		ConsentGranted: true,
	})
	s.AddUser(User{
		Username:    DefaultUsername,
		Password:    DefaultPassword,
		DisplayName: "Alice Smith",
		ObjectID:    DefaultUserObjectID,
	})
}

// AddTenant adds or replaces a tenant. It panics if t.ID is empty.
func (s *Server) AddTenant(t Tenant) {
	if t.ID == "" {
		panic("entratest: AddTenant: empty tenant ID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, old := range s.dir.tenants {
		if strings.EqualFold(old.ID, t.ID) {
			delete(s.dir.tenants, k) // a replaced tenant's old domain no longer resolves
		}
	}
	s.dir.tenants[strings.ToLower(t.ID)] = &t
	if t.Domain != "" {
		s.dir.tenants[strings.ToLower(t.Domain)] = &t
	}
}

// AddUser adds or replaces a user, keyed by username. It panics if the username is empty
// or the user's tenant doesn't exist.
func (s *Server) AddUser(u User) {
	if u.Username == "" {
		panic("entratest: AddUser: empty username")
	}
	if u.TenantID == "" {
		u.TenantID = DefaultTenantID
		if u.PersonalAccount {
			u.TenantID = consumersTenantID
		}
	}
	if u.ObjectID == "" {
		u.ObjectID = newGUID()
	}
	if u.DisplayName == "" {
		u.DisplayName, _, _ = strings.Cut(u.Username, "@")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.dir.tenants[strings.ToLower(u.TenantID)]; !ok {
		panic("entratest: AddUser: unknown tenant " + u.TenantID + "; call AddTenant first")
	}
	s.dir.users[strings.ToLower(u.Username)] = &u
	if u.Password != "" {
		s.addSecret(u.Password)
	}
}

// AddApp adds or replaces an application registration. It panics if the client ID is empty.
func (s *Server) AddApp(a App) {
	if a.ClientID == "" {
		panic("entratest: AddApp: empty client ID")
	}
	if a.Name == "" {
		a.Name = a.ClientID
	}
	a.RedirectURIs = append([]string(nil), a.RedirectURIs...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.apps[strings.ToLower(a.ClientID)] = &a
}

// user returns a copy of the named user. The caller holds s.mu.
func (d *directory) user(username string) (User, bool) {
	u, ok := d.users[strings.ToLower(strings.TrimSpace(username))]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// userByOID returns a copy of the user with the object ID. The caller holds s.mu.
func (d *directory) userByOID(oid string) (User, bool) {
	for _, u := range d.users {
		if u.ObjectID == oid {
			return *u, true
		}
	}
	return User{}, false
}

// app returns a copy of the app. The caller holds s.mu.
func (d *directory) app(clientID string) (App, bool) {
	a, ok := d.apps[strings.ToLower(clientID)]
	if !ok {
		return App{}, false
	}
	return *a, true
}

// consented reports whether u may use app without a consent prompt. The caller holds s.mu.
func (d *directory) consented(app App, u User) bool {
	return app.ConsentGranted || d.consent[[2]string{strings.ToLower(app.ClientID), u.ObjectID}]
}

// tenantKind distinguishes the multi-tenant authority segments from a specific tenant.
type tenantKind int

const (
	tenantSpecific tenantKind = iota
	tenantCommon
	tenantOrganizations
	tenantConsumers
)

// tenantRef is the tenant named by an authority's first path segment.
type tenantRef struct {
	segment string // as requested
	kind    tenantKind
	tenant  Tenant // for tenantSpecific, and the consumers tenant for tenantConsumers
}

// lookupTenant resolves an authority path segment. The caller holds s.mu.
func (d *directory) lookupTenant(segment string) (tenantRef, *entraError) {
	ref := tenantRef{segment: segment}
	switch strings.ToLower(segment) {
	case "common":
		ref.kind = tenantCommon
		return ref, nil
	case "organizations":
		ref.kind = tenantOrganizations
		return ref, nil
	case "consumers":
		ref.kind = tenantConsumers
		segment = consumersTenantID
	}
	t, ok := d.tenants[strings.ToLower(segment)]
	if !ok {
		return ref, errTenantNotFound(ref.segment)
	}
	ref.tenant = *t
	if strings.EqualFold(t.ID, consumersTenantID) {
		ref.kind = tenantConsumers
	}
	return ref, nil
}

// signInTenant decides the tenant (tid) a user signs in to through ref, or the error Entra
// gives when the user can't sign in there. app names the application in the error.
func (ref tenantRef) signInTenant(u User, app App) (string, *entraError) {
	switch ref.kind {
	case tenantCommon:
		return u.TenantID, nil
	case tenantOrganizations:
		if u.PersonalAccount {
			return "", errUserNotInTenant(u, "organizations", app)
		}
		return u.TenantID, nil
	case tenantConsumers:
		if !u.PersonalAccount {
			return "", errUserNotInTenant(u, "consumers", app)
		}
		return consumersTenantID, nil
	}
	if strings.EqualFold(u.TenantID, ref.tenant.ID) || (u.PersonalAccount && ref.tenant.AllowPersonalAccounts) {
		return ref.tenant.ID, nil
	}
	return "", errUserNotInTenant(u, ref.tenant.ID, app)
}

// redirectURIRegistered applies Entra's redirect URI matching rules.
func (a App) redirectURIRegistered(uri string) bool {
	req, err := url.Parse(uri)
	if err != nil || req.Scheme == "" || req.Host == "" || req.Fragment != "" {
		return false
	}
	for _, r := range a.RedirectURIs {
		if r == uri {
			return true
		}
		reg, err := url.Parse(r)
		if err != nil || !isLoopbackHost(reg.Hostname()) {
			continue
		}
		// "Port is ignored for loopback redirect URIs": scheme, host and path must match.
		if strings.EqualFold(reg.Scheme, req.Scheme) &&
			strings.EqualFold(reg.Hostname(), req.Hostname()) &&
			normalizePath(reg.Path) == normalizePath(req.Path) &&
			reg.RawQuery == req.RawQuery {
			return true
		}
	}
	return false
}

func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
