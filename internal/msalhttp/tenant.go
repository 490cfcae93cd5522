package msalhttp

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/azinteractive/azinteractive/internal/safetext"
)

// DomainTenant knows the tenant ID behind a credential's TenantID when that
// is a domain ("contoso.com"), so that a token request naming the tenant by
// its ID (as Key Vault's and Storage's challenges do) isn't refused as
// another tenant's. The ID is the issuer's path in the tenant's OpenID
// configuration, looked up when a request first names an unknown tenant ID;
// a failed lookup isn't remembered.
type DomainTenant struct {
	domain string // the credential's TenantID, or "" when it isn't a domain
	config string // the URL of its OpenID configuration
	client Client

	id atomic.Pointer[string] // the tenant's ID, once learned
	mu sync.Mutex             // serializes lookups; id is read without it
}

// NewDomainTenant returns the lookup of tenant at host (an authority host
// ending in "/"), which does nothing unless tenant is a domain.
func NewDomainTenant(tenant, host string, client Client) *DomainTenant {
	d := &DomainTenant{client: client}
	// Neither a tenant ID nor "common", "organizations"... has a dot.
	if strings.Contains(tenant, ".") {
		d.domain = tenant
		d.config = host + url.PathEscape(tenant) + "/v2.0/.well-known/openid-configuration"
	}
	return d
}

// IsTenantGUID reports whether t has the form of a tenant ID.
func IsTenantGUID(t string) bool {
	h := strings.ReplaceAll(t, "-", "")
	_, err := hex.DecodeString(h)
	return len(t) == 36 && len(h) == 32 && err == nil && t[8] == '-' && t[13] == '-' && t[18] == '-' && t[23] == '-'
}

// Known reports, without I/O, whether tenantID is the domain's tenant ID.
func (d *DomainTenant) Known(tenantID string) bool {
	if d == nil {
		return false
	}
	id := d.id.Load()
	return id != nil && strings.EqualFold(*id, tenantID)
}

// Is reports whether tenantID is the domain's tenant ID, looking it up if
// it isn't known yet.
func (d *DomainTenant) Is(ctx context.Context, tenantID string) bool {
	if d == nil || d.domain == "" || !IsTenantGUID(tenantID) {
		return false
	}
	if d.Known(tenantID) {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.id.Load() == nil {
		if id, err := d.lookup(ctx); err != nil {
			d.client.log(fmt.Sprintf("looking up the tenant ID of %q: %v", d.domain, err))
		} else {
			d.id.Store(&id)
		}
	}
	return d.Known(tenantID)
}

// lookup reads the tenant ID from the issuer in the domain's OpenID config.
func (d *DomainTenant) lookup(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.config, nil)
	if err != nil {
		return "", err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return "", err
	}
	u, err := url.Parse(doc.Issuer)
	if err != nil {
		return "", err
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if !IsTenantGUID(id) {
		return "", fmt.Errorf("the issuer %q names no tenant ID", safetext.Line(doc.Issuer))
	}
	return strings.ToLower(id), nil
}
