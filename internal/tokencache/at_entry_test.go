// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package tokencache

import (
	"encoding/json"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAccessTokensKeepTheirBytes(t *testing.T) {
	for _, tc := range []struct{ name, key, raw string }{
		{"MSAL's", "hid-env-accesstoken-cid-realm-https://x/.default", `{"home_account_id":"hid","secret":"eyJ0.eyJ1.c2ln","target":"https://X/.default","cached_at":"1"}`},
		{"secret last", "k-a", `{"target":"a","secret":"tok"}`},
		{"escaped secret", "k-a", `{"secret":"t\u006fk","target":"a"}`},
		{"no secret", "k-a", `{"target":"a"}`},
		{"secret not a string", "k-a", `{"secret":5,"target":"a"}`},
		{"key without the target", "odd", `{"secret":"tok","target":"a"}`},
		{"spaces", "k-a b", "{ \"secret\" : \"tok\" , \"target\":\"a b\" }"},
		{"not an object", "k", `"x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newModel()
			m.set(sectionAccessToken, tc.key, json.RawMessage(tc.raw))
			e := m.ats[tc.key]
			require.NotNil(t, e)
			assert.Equal(t, tc.raw, e.raw)
			again, err := parse(m.marshal())
			require.NoError(t, err)
			assert.Equal(t, tc.raw, string(again[sectionAccessToken][tc.key]))

			// Setting the same bytes again changes nothing, and deleting
			// leaves nothing behind in the index.
			m.set(sectionAccessToken, tc.key, json.RawMessage(tc.raw))
			assert.Len(t, m.ats, 1)
			m.removeAccount("nobody")
			for _, e := range m.ats {
				m.deleteAT(e)
			}
			assert.Empty(t, m.ats)
			assert.Empty(t, m.byScope)
			assert.Empty(t, m.anyScope)
		})
	}
}

// TestInternHandsOutTheStoresCopy: a caller that keeps what Intern returns
// keeps no copy of its own.
func TestInternHandsOutTheStoresCopy(t *testing.T) {
	s := openStore(t, Cache{}, nil)
	idp := newFakeIDP(t)
	client := newMSALClient(t, s.Mode(false), idp)
	ctx := s.Begin(t.Context(), 0, testScopes)
	ar, err := client.AcquireTokenByUsernamePassword(ctx, testScopes, "alice@contoso.com", "password")
	require.NoError(t, err)

	got := s.Intern(ctx, ar.AccessToken)
	assert.Equal(t, ar.AccessToken, got)
	var stored *atEntry
	for _, e := range s.mode(false).m.ats {
		stored = e
	}
	require.NotNil(t, stored)
	assert.Same(t, unsafe.StringData(stored.secret), unsafe.StringData(got), "Intern returned a copy")
	assert.NotSame(t, unsafe.StringData(ar.AccessToken), unsafe.StringData(got))

	// Another call's token, or a context without Begin: the token itself.
	other := s.Begin(t.Context(), 0, testScopes)
	assert.Same(t, unsafe.StringData(ar.AccessToken), unsafe.StringData(s.Intern(other, ar.AccessToken)))
	assert.Same(t, unsafe.StringData(ar.AccessToken), unsafe.StringData(s.Intern(t.Context(), ar.AccessToken)))
}
