//go:build linux

package kernelkeyring_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/azinteractive/azinteractive/internal/kernelkeyring"
	"github.com/azinteractive/azinteractive/internal/kernelkeyring/kernelkeyringtest"
)

// payload reads a key's stored bytes, as keyctl read would.
func payload(t *testing.T, id int) []byte {
	t.Helper()
	buf := make([]byte, 64)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	require.NoError(t, err)
	return buf[:n]
}

func TestKernelKeyringCreateFindRemove(t *testing.T) {
	r := kernelkeyringtest.Require(t)
	name := kernelkeyringtest.Name(t)

	_, err := r.Find(name)
	require.ErrorIs(t, err, kernelkeyring.ErrNoKey)

	k, err := r.Create(name)
	require.NoError(t, err)
	p := payload(t, k.ID())
	require.Len(t, p, kernelkeyring.KeySize+1, "32 key bytes and the NUL azidentity/cache stores")
	assert.Zero(t, p[kernelkeyring.KeySize])

	found, err := r.Find(name)
	require.NoError(t, err)
	assert.Equal(t, k.ID(), found.ID())
	assert.Equal(t, strconv.Itoa(k.ID()), found.KID())
	sealed, err := k.Seal([]byte("data"))
	require.NoError(t, err)
	opened, err := found.Open(sealed)
	require.NoError(t, err)
	assert.Equal(t, "data", string(opened))

	// Create replaces the key in place (add_key updates a key of the same
	// type and description): same serial, new bytes.
	again, err := r.Create(name)
	require.NoError(t, err)
	assert.Equal(t, k.ID(), again.ID())
	assert.NotEqual(t, p, payload(t, again.ID()))
	_, err = again.Open(sealed)
	require.ErrorIs(t, err, kernelkeyring.ErrCorrupt)

	require.NoError(t, r.Remove(name))
	_, err = r.Find(name)
	require.ErrorIs(t, err, kernelkeyring.ErrNoKey)
	require.NoError(t, r.Remove(name), "removing a missing key is no error")
}

// The keys are where azidentity/cache puts them: the persistent keyring
// when the kernel has one, else the user keyring.
func TestKernelKeyringIsAzidentitys(t *testing.T) {
	r := kernelkeyringtest.Require(t)
	user, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true)
	require.NoError(t, err)
	want := user
	if p, err := unix.KeyctlInt(unix.KEYCTL_GET_PERSISTENT, -1, user, 0, 0); err == nil {
		want = p
	} else {
		t.Logf("no persistent keyring here (%v): the user keyring is used", err)
	}
	assert.Equal(t, want, r.ID())
}

func TestKernelKeyringNotAKey(t *testing.T) {
	r := kernelkeyringtest.Require(t)
	name := kernelkeyringtest.Name(t)
	// What a user might store by hand under the cache's name.
	_, err := unix.AddKey("user", name, []byte("short"), r.ID())
	require.NoError(t, err)
	_, err = r.Find(name)
	require.ErrorIs(t, err, kernelkeyring.ErrNoKey)
	assert.NotContains(t, err.Error(), "short")
}

func TestKernelKeyringKeyNeverPrinted(t *testing.T) {
	r := kernelkeyringtest.Require(t)
	name := kernelkeyringtest.Name(t)
	k, err := r.Create(name)
	require.NoError(t, err)
	secret := payload(t, k.ID())[:kernelkeyring.KeySize]
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q"} {
		s := fmt.Sprintf(verb, k)
		assert.Equal(t, "kernel key "+k.KID(), s, verb)
		assert.NotContains(t, s, fmt.Sprintf("%x", secret), verb)
		assert.False(t, bytes.Contains([]byte(s), secret), verb)
		s = fmt.Sprintf(verb, &k)
		assert.NotContains(t, s, fmt.Sprintf("%x", secret), verb)
	}
}

func TestKernelKeyringProbe(t *testing.T) {
	kernelkeyringtest.Require(t)
	require.NoError(t, kernelkeyring.Probe())
}

func TestKernelKeyringRefusedMessage(t *testing.T) {
	for _, errno := range []unix.Errno{unix.EPERM, unix.EACCES, unix.ENOSYS} {
		err := kernelkeyring.Refused("get the user keyring", errno)
		var r *kernelkeyring.RefusedError
		require.ErrorAs(t, err, &r, "%v", errno)
		assert.ErrorIs(t, err, errno)
		assert.Contains(t, err.Error(), "seccomp")
		assert.Contains(t, err.Error(), "keyctl")
	}
	err := kernelkeyring.Refused("read the token cache key", unix.EIO)
	var r *kernelkeyring.RefusedError
	assert.NotErrorAs(t, err, &r)
	assert.ErrorIs(t, err, unix.EIO)
}

// A key azidentity/cache's code creates is found by ours, and opens its
// file; a key ours creates is found by azidentity/cache, which reads our
// file, and writes with it under the same kid.
func TestKernelKeyringSharedWithAzidentity(t *testing.T) {
	r := kernelkeyringtest.Require(t)
	h := kernelkeyringtest.Azidentity(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())

	t.Run("azidentity creates", func(t *testing.T) {
		name := kernelkeyringtest.Name(t)
		data := []byte(`{"RefreshToken":{"k":{"secret":"written by azidentity"}}}`)
		kid := h.Write(t, name, data)
		k, err := r.Find(name)
		require.NoError(t, err)
		assert.Equal(t, kid, k.KID())
		require.Len(t, payload(t, k.ID()), kernelkeyring.KeySize+1)

		path := h.Path(t, name)
		assert.Equal(t, filepath.Join(os.Getenv("XDG_CACHE_HOME"), ".IdentityService", name), path)
		file, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, kid, kernelkeyring.KeyID(file), "the file's kid is the key's serial")
		got, err := k.Open(file)
		require.NoError(t, err)
		assert.Equal(t, data, got)
	})
	t.Run("ours creates", func(t *testing.T) {
		name := kernelkeyringtest.Name(t)
		data := []byte(`{"RefreshToken":{"k":{"secret":"written by azinteractive"}}}`)
		k, err := r.Create(name)
		require.NoError(t, err)
		sealed, err := k.Seal(data)
		require.NoError(t, err)
		path := h.Path(t, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
		require.NoError(t, os.WriteFile(path, sealed, 0o600))
		assert.Equal(t, data, h.Read(t, name))

		kid := h.Write(t, name, []byte("rewritten"))
		assert.Equal(t, k.KID(), kid, "azidentity/cache uses the key ours created")
		file, err := os.ReadFile(path)
		require.NoError(t, err)
		got, err := k.Open(file)
		require.NoError(t, err)
		assert.Equal(t, "rewritten", string(got))
	})
}
