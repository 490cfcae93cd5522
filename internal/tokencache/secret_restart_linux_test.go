package tokencache

import (
	"testing"

	"github.com/azinteractive/azinteractive/internal/tokencache/keyringtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gnome-keyring started again mid-session loads the keyring from disk,
// locked, and shows its items' attributes only hashed, so a search by the
// cache's attributes finds nothing. That is a locked keyring, not an empty
// cache: read as empty, the process dropped its tokens and asked the user
// to sign in again (found when gnome-keyring crashed under a 10,000-token
// benchmark and D-Bus activation started another).
func TestSecretServiceReadOfAKeyringRestartedLocked(t *testing.T) {
	k := keyringtest.Start(t)
	s := newSecretService("restarted.cae")
	require.NoError(t, s.write(t.Context(), []byte("the cache")))

	k.RestartLocked(t)
	got, err := s.read(t.Context())
	require.ErrorIs(t, err, errLocked, "no prompt can unlock it here")
	assert.Nil(t, got)

	// An item that doesn't exist, in an unlocked keyring, is still no cache.
	keyringtest.Start(t)
	got, err = newSecretService("never-written.cae").read(t.Context())
	require.NoError(t, err)
	assert.Nil(t, got)
}
