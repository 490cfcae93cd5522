// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package entratest_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

// TestNoSecretsInLog runs every flow with a log sink and checks that no secret the server
// issued or received appears in it.
func TestNoSecretsInLog(t *testing.T) {
	var (
		mu    sync.Mutex // guards lines
		lines []string
	)
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(format, args...))
	}
	s := newServer(t, &entratest.Options{Logf: logf})
	s.AddUser(entratest.User{Username: "mfa@contoso.com", Password: "pw-mfa-secret", MFARequired: true})
	c := loopbackClient(t, s, "organizations", public.WithClientCapabilities([]string{"CP1"}))
	ctx := t.Context()

	res, err := c.AcquireTokenInteractive(ctx, []string{armScope}, openURL(ctx, s.Browser("mfa@contoso.com", "pw-mfa-secret")))
	require.NoError(t, err)
	_, err = c.AcquireTokenInteractive(ctx, []string{armScope}, openURL(ctx, s.Browser(entratest.DefaultUsername, "bad-pw-secret")))
	require.Error(t, err)
	deviceCodeToken(t, s, c, []string{armScope})
	_, err = c.AcquireTokenByUsernamePassword(ctx, []string{armScope}, entratest.DefaultUsername, entratest.DefaultPassword)
	require.NoError(t, err)
	challenge := s.RevokeSessions("mfa@contoso.com")
	_, err = c.AcquireTokenSilent(ctx, []string{armScope}, public.WithSilentAccount(res.Account), public.WithClaims(challenge))
	require.NoError(t, err)

	secrets := s.Secrets()
	for _, want := range []string{entratest.DefaultPassword, "pw-mfa-secret", "bad-pw-secret", res.AccessToken, res.IDToken.RawToken} {
		assert.Contains(t, secrets, want)
	}
	kinds := map[string]bool{}
	for _, sec := range secrets {
		switch {
		case strings.HasPrefix(sec, "1.entratest-code."):
			kinds["code"] = true
		case strings.HasPrefix(sec, "1.entratest."):
			kinds["refresh token"] = true
		case strings.HasPrefix(sec, "DAQABAAEAAA.entratest."):
			kinds["device code"] = true
		case len(sec) == 43 && !strings.Contains(sec, "."):
			kinds["PKCE verifier or session"] = true
		case len(sec) == 6:
			kinds["MFA code"] = true
		}
	}
	assert.Len(t, kinds, 5, "%v", kinds)

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, lines)
	for _, line := range lines {
		if leaked, ok := containsAny(line, secrets); ok {
			t.Errorf("log line %q contains secret %q", line, leaked)
		}
	}
	for _, e := range s.BrowserErrors() {
		if leaked, ok := containsAny(e.Error(), secrets); ok {
			t.Errorf("browser error %q contains secret %q", e, leaked)
		}
	}
}
