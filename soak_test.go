package azinteractive_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// soakTokenLife is the lifetime of the soak's access tokens. Neither MSAL
// nor the credentials serve a token within five minutes of its expiry, so
// each token is good for soakServe, and then refreshed.
const (
	soakTokenLife = 5*time.Minute + 2*time.Second
	soakServe     = soakTokenLife - 5*time.Minute
)

// soakCredential is a credential of the soak and what its tokens must say.
type soakCredential struct {
	name string
	cred interface {
		GetTokenInfo(context.Context, policy.TokenRequestOptions) (azinteractive.TokenInfo, error)
	}
	tenant  string
	user    string
	prompts *atomic.Int32 // nil for a password credential
}

// TestSoak has hundreds of goroutines ask several credentials, in two
// tenants, for tokens of several scopes, with and without CAE, for a few
// seconds, while tokens expire (for the credentials) every soakServe. Every
// call must succeed with a token the emulator accepts, for the right
// audience, tenant and user, and far from expiry; nobody is asked to sign in
// twice; and the token endpoint sees no more requests than the refreshes
// need. Run it with -race.
func TestSoak(t *testing.T) {
	duration := 6 * time.Second
	if testing.Short() {
		duration = 2 * soakServe
	}
	srv := entratest.NewServer(&entratest.Options{AccessTokenLifetime: soakTokenLife})
	defer srv.Close()
	const otherTenant, bob, bobPassword = "50a4e55e-0000-4000-8000-00000000beef", "bob@fabrikam.com", "bob-Pa55w0rd-soak"
	srv.AddTenant(entratest.Tenant{ID: otherTenant, Domain: "fabrikam.com"})
	srv.AddUser(entratest.User{Username: bob, Password: bobPassword, TenantID: otherTenant})

	deviceCode := func(tenant, user string) soakCredential {
		prompts := &atomic.Int32{}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: fastClientOptions(srv), TenantID: tenant,
			UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
				prompts.Add(1)
				return srv.ApproveDeviceCode(m.UserCode, user)
			},
		})
		require.NoError(t, err)
		return soakCredential{name: "device code " + user, cred: cred, tenant: tenant, user: user, prompts: prompts}
	}
	password := func(tenant, user, pw string) soakCredential {
		cred, err := azinteractive.NewUsernamePasswordCredential(tenant, entratest.DefaultClientID, user, pw,
			&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: fastClientOptions(srv)})
		require.NoError(t, err)
		return soakCredential{name: "password " + user, cred: cred, tenant: tenant, user: user}
	}
	creds := []soakCredential{
		deviceCode(entratest.DefaultTenantID, entratest.DefaultUsername),
		deviceCode(otherTenant, bob),
		password(entratest.DefaultTenantID, entratest.DefaultUsername, entratest.DefaultPassword),
		password("fabrikam.com", bob, bobPassword),
	}
	creds[3].tenant = otherTenant // a domain names the tenant too
	resources := []string{"https://management.azure.com", "https://vault.azure.net", "https://storage.azure.com", "https://graph.microsoft.com"}

	// Each goroutine asks for one token key (credential, scope, CAE) in a
	// loop; several goroutines share each key.
	const goroutines = 256
	keys := len(creds) * len(resources) * 2
	ctx, cancel := context.WithTimeout(t.Context(), duration)
	defer cancel()
	start := time.Now()
	var (
		wg     sync.WaitGroup
		calls  atomic.Int64
		failed atomic.Int32
	)
	for g := range goroutines {
		c := creds[g%len(creds)]
		resource := resources[g/len(creds)%len(resources)]
		cae := g/(len(creds)*len(resources))%2 == 1
		wg.Go(func() {
			opts := policy.TokenRequestOptions{Scopes: []string{resource + "/.default"}, EnableCAE: cae}
			verified := ""
			for ctx.Err() == nil {
				info, err := c.cred.GetTokenInfo(ctx, opts)
				calls.Add(1)
				if ctx.Err() != nil {
					return // the soak is over; a call it cut short isn't a failure
				}
				if err != nil {
					failed.Add(1)
					t.Errorf("%s, %s, CAE %v: %v", c.name, resource, cae, err)
					return
				}
				if left := time.Until(info.ExpiresOn); left < 4*time.Minute {
					// Five minutes' margin, less a minute for the difference
					// between reading the wall clock here and the monotonic
					// one in the credential.
					failed.Add(1)
					t.Errorf("%s, %s: a token with only %v left", c.name, resource, left)
					return
				}
				if info.Token != verified {
					// Verify each new token once: RSA is too slow for every call.
					claims, err := srv.VerifyAccessToken(info.Token)
					if err == nil && (claims["aud"] != resource || claims["tid"] != c.tenant || !strings.EqualFold(fmt.Sprint(claims["upn"]), c.user)) {
						err = fmt.Errorf("aud %v, tid %v, upn %v", claims["aud"], claims["tid"], claims["upn"])
					}
					if err == nil && cae != (claims["xms_cc"] != nil) {
						err = fmt.Errorf("CAE %v but xms_cc %v", cae, claims["xms_cc"])
					}
					if err != nil {
						failed.Add(1)
						t.Errorf("%s, %s, CAE %v: the token isn't valid: %v", c.name, resource, cae, err)
						return
					}
					verified = info.Token
				}
				// Pace the loop: the warm path takes nanoseconds, and the soak
				// is about refreshes under contention, not a busy CPU.
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	require.Zero(t, failed.Load())

	grants, refused := map[string]int{}, map[string]int{}
	for _, r := range srv.Requests() {
		if r.Endpoint == entratest.EndpointToken {
			grants[r.GrantType]++
			if r.Status != 200 {
				refused[r.GrantType]++
			}
		}
	}
	t.Logf("%d goroutines, %d calls in %v; token requests by grant type: %v, refused: %v", goroutines, calls.Load(), elapsed.Round(time.Millisecond), grants, refused)
	for _, c := range creds {
		if c.prompts != nil {
			assert.EqualValues(t, 1, c.prompts.Load(), "%s: the user signs in once", c.name)
		}
	}
	assert.Equal(t, 2, grants["password"], "each password credential signs in once")
	assert.Equal(t, 2, grants["device_code"], "each device code is redeemed once, approved before the first poll")
	// Each token key needs its first token (from the sign-in, or from the
	// refresh token) and then one refresh per soakServe it was in use.
	periods := int(elapsed/soakServe) + 1
	// Redemptions run at once (Entra ID's refresh tokens stay valid when
	// redeemed); entratest's are single-use, so a race refuses all but one
	// redemption of a token, and the losers try again with the new one.
	// Those are the only refusals, and they cost no prompt.
	assert.LessOrEqual(t, grants["refresh_token"]-refused["refresh_token"], keys*(periods+1), "refresh token requests for %d keys over %d periods", keys, periods)
	for grant := range refused {
		assert.Equal(t, "refresh_token", grant, "only redemptions that lost a race are refused: %v", refused)
	}
	assert.GreaterOrEqual(t, grants["refresh_token"], keys-len(creds), "every key but each credential's first got its first token from the refresh token")
}
