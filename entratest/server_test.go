// The password grant is deprecated for applications, and exercised here on purpose.
//lint:file-ignore SA1019 tests of the password grant

package entratest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/entratest"
)

func TestServerLifecycle(t *testing.T) {
	s := entratest.NewUnstartedServer(nil)
	assert.Regexp(t, `^https://127\.0\.0\.1:\d+$`, s.URL(), "URL is known before Start")
	assert.PanicsWithValue(t, "entratest: Client called before Start", func() { s.Client() })
	s.AddUser(entratest.User{Username: "dave@contoso.com", Password: "pw-dave"})
	s.Start()
	assert.PanicsWithValue(t, "entratest: Server already started", s.Start)
	res, err := loopbackClient(t, s, "organizations").AcquireTokenByUsernamePassword(t.Context(),
		[]string{armScope}, "dave@contoso.com", "pw-dave")
	require.NoError(t, err)
	assert.Equal(t, "dave", res.IDToken.Name, "DisplayName defaults to the username's local part")
	s.Close()
	s.Close()

	unstarted := entratest.NewUnstartedServer(nil)
	unstarted.Close()
}

func TestDirectorySetupPanics(t *testing.T) {
	s := newServer(t, nil)
	assert.PanicsWithValue(t, "entratest: AddUser: unknown tenant 00000000-0000-4000-8000-00000000dead; call AddTenant first", func() {
		s.AddUser(entratest.User{Username: "x@y.z", TenantID: "00000000-0000-4000-8000-00000000dead"})
	})
	assert.Panics(t, func() { s.AddApp(entratest.App{}) })
	assert.Panics(t, func() { s.AddTenant(entratest.Tenant{}) })
	assert.Panics(t, func() { s.RevokeSessions("nobody@contoso.com") })
}
