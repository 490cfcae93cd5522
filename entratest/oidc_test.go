package entratest_test

import (
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

// TestOIDCVerification verifies the ID token and access token with go-oidc, which fetches
// the OpenID configuration and the JWKS from the emulator.
func TestOIDCVerification(t *testing.T) {
	for _, a := range authorities[:3] {
		t.Run(a.name, func(t *testing.T) {
			s := newServer(t, nil)
			c := newClient(t, s, a.url(s), a.discovery)
			res := deviceCodeToken(t, s, c, []string{armScope})

			ctx := oidc.ClientContext(t.Context(), s.Client())
			issuer := "https://" + hostOf(t, a.url(s)) + "/" + entratest.DefaultTenantID + "/v2.0"
			provider, err := oidc.NewProvider(ctx, issuer)
			require.NoError(t, err)

			idt, err := provider.Verifier(&oidc.Config{ClientID: entratest.DefaultClientID}).Verify(ctx, res.IDToken.RawToken)
			require.NoError(t, err)
			var idClaims struct {
				TID               string `json:"tid"`
				OID               string `json:"oid"`
				PreferredUsername string `json:"preferred_username"`
			}
			require.NoError(t, idt.Claims(&idClaims))
			assert.Equal(t, entratest.DefaultTenantID, idClaims.TID)
			assert.Equal(t, entratest.DefaultUserObjectID, idClaims.OID)
			assert.Equal(t, entratest.DefaultUsername, idClaims.PreferredUsername)

			at, err := provider.Verifier(&oidc.Config{ClientID: "https://management.azure.com"}).Verify(ctx, res.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, issuer, at.Issuer)

			// A token from another emulator doesn't verify.
			other := newServer(t, nil)
			otherRes := deviceCodeToken(t, other, loopbackClient(t, other, "organizations"), []string{armScope})
			_, err = provider.Verifier(&oidc.Config{ClientID: entratest.DefaultClientID, SkipIssuerCheck: true}).Verify(ctx, otherRes.IDToken.RawToken)
			require.Error(t, err)
			_, err = s.VerifyAccessToken(otherRes.AccessToken)
			require.Error(t, err)
		})
	}
}

// TestJWKS reads the signing keys where the OpenID configuration says they are.
func TestJWKS(t *testing.T) {
	s := newServer(t, nil)
	status, config := getJSON(t, s, s.URL()+"/organizations/v2.0/.well-known/openid-configuration")
	require.Equal(t, 200, status)
	jwksURI, _ := config["jwks_uri"].(string)
	require.NotEmpty(t, jwksURI)
	status, body := getJSON(t, s, jwksURI)
	require.Equal(t, 200, status)
	keys := body["keys"].([]any)
	require.Len(t, keys, 1)
	key := keys[0].(map[string]any)
	assert.Equal(t, "RSA", key["kty"])
	assert.Equal(t, "sig", key["use"])
	assert.NotEmpty(t, key["kid"])
}

// TestVerifyAccessTokenClock: VerifyAccessToken uses Options.Now.
func TestVerifyAccessTokenClock(t *testing.T) {
	clock := newFakeClock()
	s := newServer(t, &entratest.Options{Now: clock.Now})
	res := deviceCodeToken(t, s, loopbackClient(t, s, "organizations"), []string{armScope})
	_, err := s.VerifyAccessToken(res.AccessToken)
	require.NoError(t, err)
	clock.Advance(61 * time.Minute)
	_, err = s.VerifyAccessToken(res.AccessToken)
	require.ErrorContains(t, err, "expired")
}
