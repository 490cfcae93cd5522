// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package tokencache

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// claimsChallenge makes MSAL skip cached access tokens and redeem the
// refresh token: each silent call with it is one rotation.
const claimsChallenge = `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`

// rotate is a helper process: one credential's Store over a shared
// plaintext cache, driven by a real MSAL client against its own fake
// IdP. It signs its user in, then rotates the refresh token ROTATIONS times,
// starting at START_AT so that all helpers contend at once.
func rotate() {
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		os.Exit(1)
	}
	loc := Location{Dir: os.Getenv("CACHE_DIR"), Name: os.Getenv("CACHE_NAME")}
	user := os.Getenv("CACHE_USER")
	n, _ := strconv.Atoi(os.Getenv("ROTATIONS"))
	startAt, _ := strconv.ParseInt(os.Getenv("START_AT"), 10, 64)
	warn := func(msg string) { fail("unexpected warning: %s", msg) }
	s, err := Open(Plaintext(loc), warn)
	if err != nil {
		fail("%v", err)
	}
	idp := startFakeIDP()
	defer idp.Close()
	client, err := public.New(testClientID, public.WithCache(s.Mode(false)), public.WithAuthority(idp.authority()),
		public.WithHTTPClient(idp.Client()), public.WithInstanceDiscovery(false))
	if err != nil {
		fail("%v", err)
	}
	time.Sleep(time.Until(time.Unix(0, startAt)))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ar, err := client.AcquireTokenByUsernamePassword(s.Begin(ctx, 0, testScopes), testScopes, user+"@contoso.com", "password")
	if err != nil {
		fail("sign-in: %v", err)
	}
	for i := range n {
		// Strict rotation at the IdP: this fails if the cache handed MSAL
		// anything but this user's last refresh token.
		err := s.Redeem(ctx, func(ctx context.Context) error {
			_, err := client.AcquireTokenSilent(s.Begin(ctx, 0, testScopes), testScopes, public.WithSilentAccount(ar.Account), public.WithClaims(claimsChallenge))
			return err
		})
		if err != nil {
			fail("rotation %d: %v", i+1, err)
		}
	}
	os.Exit(0)
}

func TestEightProcessesSigningInAndRefreshingLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 8 processes")
	}
	const procs, rotations = 8, 20
	loc := plaintextLoc(t)
	startAt := time.Now().Add(1500 * time.Millisecond)
	type child struct {
		cmd    *exec.Cmd
		stderr bytes.Buffer
	}
	children := make([]*child, procs)
	for i := range children {
		c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$")}
		c.cmd.Env = append(os.Environ(), helperEnv+"=rotate",
			"CACHE_DIR="+loc.Dir, "CACHE_NAME="+loc.Name, fmt.Sprintf("CACHE_USER=user%d", i),
			fmt.Sprintf("ROTATIONS=%d", rotations), fmt.Sprintf("START_AT=%d", startAt.UnixNano()))
		c.cmd.Stderr = &c.stderr
		require.NoError(t, c.cmd.Start())
		children[i] = c
	}
	for i, c := range children {
		assert.NoError(t, c.cmd.Wait(), "process %d: %s", i, c.stderr.String())
	}

	for _, cae := range []bool{false, true} {
		got := stored(t, loc, cae)
		assert.Equal(t, procs, len(got.data[sectionAccount]), "accounts, cae=%v", cae)
		assert.Equal(t, procs, len(got.data[sectionRefreshToken]), "refresh tokens, cae=%v", cae)
		for i := range procs {
			user := fmt.Sprintf("user%d", i)
			assert.Equal(t, fmt.Sprintf("rt-%s-%d", user, rotations), got.secret(sectionRefreshToken, user), "cae=%v", cae)
		}
	}
	// Only the non-CAE client asked for access tokens; none leaked across.
	assert.Equal(t, procs, len(stored(t, loc, false).data[sectionAccessToken]))
	assert.Empty(t, stored(t, loc, true).data[sectionAccessToken])
}
