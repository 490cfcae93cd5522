// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package tokencache

import (
	"context"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refreshInBackground starts a silent call that redeems the refresh token,
// as the core runs one, and returns its result channel.
func refreshInBackground(ctx context.Context, s *Store, client public.Client, account public.Account) <-chan error {
	done := make(chan error, 1)
	go func() {
		done <- s.Redeem(ctx, func(ctx context.Context) error {
			_, err := client.AcquireTokenSilent(s.Begin(ctx, 0, testScopes), testScopes,
				public.WithSilentAccount(account), public.WithClaims(claimsChallenge))
			return err
		})
	}()
	return done
}

// assertSignedOut checks that nothing of alice's is left: MSAL finds no
// token for her silently, and storage (when loc isn't zero) holds none of
// her entries in either CAE mode.
func assertSignedOut(t *testing.T, s *Store, client public.Client, account public.Account, loc Location) {
	t.Helper()
	_, err := client.AcquireTokenSilent(s.Begin(t.Context(), 0, testScopes), testScopes, public.WithSilentAccount(account))
	assert.Error(t, err, "a token of the signed-out user was served")
	accounts, err := client.Accounts(t.Context())
	require.NoError(t, err)
	assert.Empty(t, accounts)
	if loc.Dir == "" {
		return
	}
	for _, cae := range []bool{false, true} {
		got := stored(t, loc, cae)
		for _, section := range []string{sectionAccount, sectionRefreshToken, sectionIDToken, sectionAccessToken} {
			assert.Empty(t, got.data[section], "%s, cae=%v", section, cae)
		}
	}
}

// TestSignOutDuringARefreshSticks is issue 14's first scenario, the cache's
// half: a refresh that began before the sign-out finishes after it, and
// MSAL exports the account's new tokens. They must not come back.
func TestSignOutDuringARefreshSticks(t *testing.T) {
	for _, kind := range []string{"memory", "plaintext"} {
		t.Run(kind, func(t *testing.T) {
			var p Cache
			var loc Location
			if kind == "plaintext" {
				loc = plaintextLoc(t)
				p = Plaintext(loc)
			}
			s := openStore(t, p, nil)
			idp := newFakeIDP(t)
			client := newMSALClient(t, s.Mode(false), idp)
			ctx := t.Context()
			ar, err := client.AcquireTokenByUsernamePassword(s.Begin(ctx, 0, testScopes), testScopes, "alice@contoso.com", "password")
			require.NoError(t, err)

			gate := idp.hold()
			refreshed := refreshInBackground(ctx, s, client, ar.Account)
			<-gate.arrived
			require.NoError(t, s.RemoveAccount(ctx, 1, ar.Account.HomeAccountID))
			close(gate.release)
			require.NoError(t, <-refreshed, "the refresh succeeds; the core discards what began before a sign-out")

			assertSignedOut(t, s, client, ar.Account, loc)
		})
	}
}

// TestSignOutWaitsForAnotherProcesssRefresh: the same race across two
// processes (two Stores on one cache): the sign-out waits for the other's
// redemption, so that redemption can't write the account back after it.
func TestSignOutWaitsForAnotherProcesssRefresh(t *testing.T) {
	loc := plaintextLoc(t)
	a, b := openStore(t, Plaintext(loc), nil), openStore(t, Plaintext(loc), nil)
	idp := newFakeIDP(t)
	clientA, clientB := newMSALClient(t, a.Mode(false), idp), newMSALClient(t, b.Mode(false), idp)
	ctx := t.Context()
	ar, err := clientA.AcquireTokenByUsernamePassword(a.Begin(ctx, 0, testScopes), testScopes, "alice@contoso.com", "password")
	require.NoError(t, err)

	gate := idp.hold()
	refreshed := refreshInBackground(ctx, a, clientA, ar.Account)
	<-gate.arrived
	waiting := make(chan struct{}, 1)
	hook := func(string) {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	lockWaitHook.Store(&hook)
	defer lockWaitHook.Store(nil)
	removed := make(chan error, 1)
	go func() { removed <- b.RemoveAccount(ctx, 1, ar.Account.HomeAccountID) }()
	select {
	case err := <-removed:
		t.Fatalf("the sign-out finished (%v) while another process was redeeming the refresh token", err)
	case <-waiting:
	}
	close(gate.release)
	require.NoError(t, <-refreshed)
	require.NoError(t, <-removed)

	assertSignedOut(t, b, clientB, ar.Account, loc)
	assertSignedOut(t, a, clientA, ar.Account, loc)
}

// TestSignInAfterSignOutIsKept: the sign-out's fence holds back only calls
// that began before it.
func TestSignInAfterSignOutIsKept(t *testing.T) {
	loc := plaintextLoc(t)
	s := openStore(t, Plaintext(loc), nil)
	idp := newFakeIDP(t)
	client := newMSALClient(t, s.Mode(false), idp)
	ctx := t.Context()
	ar, err := client.AcquireTokenByUsernamePassword(s.Begin(ctx, 0, testScopes), testScopes, "alice@contoso.com", "password")
	require.NoError(t, err)
	require.NoError(t, s.RemoveAccount(ctx, 1, ar.Account.HomeAccountID))

	// Calls of the session after the sign-out.
	ar, err = client.AcquireTokenByUsernamePassword(s.Begin(ctx, 1, testScopes), testScopes, "alice@contoso.com", "password")
	require.NoError(t, err)
	silent, err := client.AcquireTokenSilent(s.Begin(ctx, 1, testScopes), testScopes, public.WithSilentAccount(ar.Account))
	require.NoError(t, err)
	assert.Equal(t, ar.AccessToken, silent.AccessToken)
	assert.NotEmpty(t, stored(t, loc, false).secret(sectionRefreshToken, "alice"))
	assert.NotEmpty(t, stored(t, loc, true).secret(sectionRefreshToken, "alice"))
}
