//go:build darwin && cgo

package tokencache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/AzureAD/microsoft-authentication-extensions-for-go/cache/accessor"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeychainForReal keeps a cache in the login Keychain and reads the
// item back with MSAL's accessor, as azidentity/cache would. It runs on a
// Mac only (Linux CI type-checks it: see .ci/platforms); the item is a
// throwaway one, deleted after.
func TestKeychainForReal(t *testing.T) {
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	loc := Location{Dir: t.TempDir(), Name: "azinteractive-test-" + hex.EncodeToString(id)}
	p, err := Encrypted(t.Context(), loc)
	var ue *UnavailableError
	if errors.As(err, &ue) {
		msg := "the login Keychain can't be used here (" + err.Error() + "): " + ue.Remedy
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	require.NoError(t, err)
	assert.Equal(t, "persistent token cache (macOS Keychain)", p.String())
	item, err := accessor.New(loc.modeName(false), accessor.WithAccount("MSALCache"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = item.Delete(t.Context()) })

	s, err := Open(p, func(msg string) { t.Errorf("unexpected warning: %s", msg) })
	require.NoError(t, err)
	m := &fakeMSAL{}
	roundTrip(t, s.Mode(false), m, func() { m.signIn("alice", "rt-keychain", "at-keychain") })

	got, err := item.Read(t.Context())
	require.NoError(t, err)
	want, err := m.Marshal()
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))

	again, err := Open(p, nil)
	require.NoError(t, err)
	other := &fakeMSAL{}
	require.NoError(t, again.Mode(false).Replace(t.Context(), other, cache.ReplaceHints{}))
	assert.Equal(t, "rt-keychain", other.secret(sectionRefreshToken, "alice"))
}
