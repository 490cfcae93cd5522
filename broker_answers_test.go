package azinteractive

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/internal/broker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The broker's answers are checked like any network answer (issue 22's
// attacks): a token of another account or tenant, an expired token, an
// oversized or hostile username and a foreign environment are refused or
// cleaned.
func TestBrokerAnswersAreChecked(t *testing.T) {
	const tenant = "6e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	alice := broker.Account{HomeAccountID: "alice-oid." + tenant, Realm: tenant, Username: "alice@contoso.com", Environment: "login.windows.net"}
	good := func(edit func(*broker.TokenResult)) *broker.TokenResult {
		r := &broker.TokenResult{AccessToken: "at", TokenType: "Bearer", Account: alice, ExpiresOn: now.Add(time.Hour)}
		if edit != nil {
			edit(r)
		}
		return r
	}
	for _, tc := range []struct {
		name      string
		res       *broker.TokenResult
		asked     *broker.Account
		tenant    string
		wantErr   string
		authority string
		username  string
	}{
		{name: "good", res: good(nil), asked: &alice, tenant: tenant, authority: "https://login.windows.net", username: "alice@contoso.com"},
		{name: "good, interactive, organizations", res: good(nil), tenant: "organizations", authority: "https://login.windows.net", username: "alice@contoso.com"},
		{name: "another account", res: good(func(r *broker.TokenResult) { r.Account.HomeAccountID = "mallory-oid." + tenant }), asked: &alice, tenant: tenant, wantErr: "another account"},
		{name: "another tenant", res: good(func(r *broker.TokenResult) { r.Account.Realm = "0c1d2e3f-4a5b-6e8f-1a2b-3c4d4e5f8a9b" }), tenant: tenant, wantErr: "another tenant"},
		{name: "expired in 1970", res: good(func(r *broker.TokenResult) { r.ExpiresOn = time.Unix(0, 0) }), tenant: tenant, wantErr: "expired"},
		{name: "no account", res: good(func(r *broker.TokenResult) { r.Account.HomeAccountID = "" }), tenant: tenant, wantErr: "names no account"},
		{name: "409,612-byte username", res: good(func(r *broker.TokenResult) { r.Account.Username = strings.Repeat("a", 409612) }), tenant: tenant, wantErr: "409612 bytes"},
		{name: "escape sequences and bidi overrides", res: good(func(r *broker.TokenResult) { r.Account.Username = "alice\x1b[2J\u202e@contoso.com" }), tenant: tenant,
			authority: "https://login.windows.net", username: "alice[2J@contoso.com"},
		{name: "foreign environment", res: good(func(r *broker.TokenResult) { r.Account.Environment = "evil.example" }), tenant: tenant,
			authority: "https://login.microsoftonline.com", username: "alice@contoso.com"},
		{name: "no environment", res: good(func(r *broker.TokenResult) { r.Account.Environment = "" }), tenant: tenant,
			authority: "https://login.microsoftonline.com", username: "alice@contoso.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &brokerBackend{cfg: backendConfig{authorityHost: "https://login.microsoftonline.com/", clientID: "client", now: func() time.Time { return now }}}
			got, err := b.result(context.Background(), tc.res, nil, tc.asked, tokenRequest{TenantID: tc.tenant})
			if tc.wantErr != "" {
				require.ErrorIs(t, err, broker.ErrBadResponse)
				assert.ErrorContains(t, err, tc.wantErr)
				b.accounts.Range(func(_, _ any) bool { t.Error("a refused answer's account is remembered"); return false })
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.authority, got.Account.Authority)
			assert.Equal(t, tc.username, got.Account.Username)
		})
	}
}
