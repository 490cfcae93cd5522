package azinteractive_test

import (
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gnome-keyring crashed and was started again, locked, while a process
// held its tokens: the process goes on refreshing, instead of asking the
// user to sign in again, and without automatic authentication, instead of
// failing with "no token found". It goes on saving them too, without a
// warning: the keyring holds only the keys that seal the cache files, and
// the process read them when it opened the cache.
func TestKeyringRestartedLockedKeepsTheTokens(t *testing.T) {
	for _, disableAuto := range []bool{false, true} {
		t.Run(map[bool]string{false: "prompting", true: "DisableAutomaticAuthentication"}[disableAuto], func(t *testing.T) {
			// Before anything runs: azcore's log setters aren't goroutine-safe,
			// and the cache's background writer logs.
			lines := captureLog(t, azinteractive.EventAuthentication)
			k := keyringtest.Start(t)
			// Every token needs refreshing: each GetToken reads and writes the cache.
			srv := entratest.NewServer(&entratest.Options{AccessTokenLifetime: time.Minute})
			defer srv.Close()
			c, err := cache.New(&cache.Options{Name: "restarted", Directory: t.TempDir()})
			require.NoError(t, err)
			a := &approver{srv: srv}
			cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: clientOptions(srv), UserPrompt: a.prompt, Cache: c, DisableAutomaticAuthentication: disableAuto,
			})
			require.NoError(t, err)
			_, err = cred.Authenticate(t.Context(), &policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
			require.NoError(t, err)
			_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
			require.NoError(t, err)

			before := len(lines())
			k.RestartLocked(t)
			for i := 0; i < 3; i++ {
				tok, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: armScope, EnableCAE: true})
				require.NoError(t, err, "GetToken %d after the keyring restarted", i)
				_, err = srv.VerifyAccessToken(tok.Token)
				require.NoError(t, err)
			}
			assert.EqualValues(t, 1, a.prompts.Load(), "the user signed in once")
			log := strings.Join(lines()[before:], "\n")
			assert.NotRegexp(t, `can't be read|kept in memory only|can't be saved`, log)
			assert.NotContains(t, log, "starting an interactive sign-in")
		})
	}
}
