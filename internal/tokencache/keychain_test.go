package tokencache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeKeychain is a Keychain in memory that logs every call.
type fakeKeychain struct {
	mu    sync.Mutex // guards items, calls and the failures
	items map[[2]string][]byte
	calls []string // "op service account"

	failWrite, failRead, failDelete error
	readBack                        []byte // if set, what every read returns
}

func (k *fakeKeychain) log(op, service, account string) {
	k.calls = append(k.calls, op+" "+service+" "+account)
}

func (k *fakeKeychain) read(_ context.Context, service, account string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log("read", service, account)
	if k.failRead != nil {
		return nil, k.failRead
	}
	if k.readBack != nil {
		return k.readBack, nil
	}
	return k.items[[2]string{service, account}], nil
}

func (k *fakeKeychain) write(_ context.Context, service, account string, data []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log("write", service, account)
	if k.failWrite != nil {
		return k.failWrite
	}
	if k.items == nil {
		k.items = map[[2]string][]byte{}
	}
	k.items[[2]string{service, account}] = append([]byte(nil), data...)
	return nil
}

func (k *fakeKeychain) delete(_ context.Context, service, account string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log("delete", service, account)
	if k.failDelete != nil {
		return k.failDelete
	}
	delete(k.items, [2]string{service, account})
	return nil
}

func (k *fakeKeychain) snapshot() (map[[2]string][]byte, []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	items := map[[2]string][]byte{}
	for key, v := range k.items {
		items[key] = v
	}
	return items, append([]string(nil), k.calls...)
}

// TestKeychainItemsAreNamedPerCacheAndCAEMode: each CAE mode of a cache is
// the generic password whose service is <name>.nocae or <name>.cae and whose
// account is MSALCache; it holds MSAL's JSON cache, nothing else, and every
// write touches the signal file beside the lock file in the cache directory.
func TestKeychainItemsAreNamedPerCacheAndCAEMode(t *testing.T) {
	for _, tc := range []struct {
		name        string
		cae         bool
		wantService string
	}{
		{"msal.cache", false, "msal.cache.nocae"},
		{"msal.cache", true, "msal.cache.cae"},
		{"my-app", false, "my-app.nocae"},
		{"my-app", true, "my-app.cae"},
	} {
		t.Run(tc.wantService, func(t *testing.T) {
			kc := &fakeKeychain{}
			loc := Location{Dir: filepath.Join(t.TempDir(), ".IdentityService"), Name: tc.name, OwnDir: true}
			c := single(t, openKeychain(kc, loc, tc.cae, func(msg string) { t.Errorf("unexpected warning: %s", msg) }))
			m := &fakeMSAL{}
			roundTrip(t, c, m, func() { m.signIn("alice", "rt-1", "at-1") })

			items, calls := kc.snapshot()
			key := [2]string{tc.wantService, "MSALCache"}
			require.Len(t, items, 1, "items: %v", items)
			require.Contains(t, items, key)
			want, err := m.Marshal()
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(items[key]), "the item holds MSAL's cache as MSAL exported it")
			for _, call := range calls {
				assert.True(t, strings.HasSuffix(call, " "+tc.wantService+" MSALCache"), "a call for another item: %s", call)
			}

			signal := filepath.Join(loc.Dir, tc.wantService)
			fi, err := os.Stat(signal)
			require.NoError(t, err, "no signal file")
			assert.Zero(t, fi.Size(), "the signal file holds data; only the Keychain may")
			_, err = os.Stat(signal + ".lockfile")
			assert.NoError(t, err, "no lock beside the signal file")
		})
	}
}

// TestKeychainCAEModesDontShareAnItem: Python keys one item for both modes
// (service Microsoft.Developer.IdentityService); ours keep CAE tokens from
// non-CAE clients.
func TestKeychainCAEModesDontShareAnItem(t *testing.T) {
	kc := &fakeKeychain{}
	loc := Location{Dir: t.TempDir(), Name: "msal.cache"}
	noCAE := single(t, openKeychain(kc, loc, false, nil))
	withCAE := single(t, openKeychain(kc, loc, true, nil))
	m, mc := &fakeMSAL{}, &fakeMSAL{}
	roundTrip(t, noCAE, m, func() { m.signIn("alice", "rt-plain", "at-plain") })
	roundTrip(t, withCAE, mc, func() { mc.signIn("alice", "rt-cae", "at-cae") })

	items, _ := kc.snapshot()
	require.Len(t, items, 2)
	for key := range items {
		assert.NotEqual(t, "Microsoft.Developer.IdentityService", key[0])
	}
	for cae, want := range map[bool]string{false: "at-plain", true: "at-cae"} {
		check := &fakeMSAL{} // a new process's
		require.NoError(t, single(t, openKeychain(kc, loc, cae, nil)).Replace(t.Context(), check, cache.ReplaceHints{}))
		assert.Equal(t, want, check.secret(sectionAccessToken, "alice"), "cae=%v", cae)
	}
}

// TestKeychainErrorsReachTheCaller: a Keychain that refuses (locked, no
// session) is an error of the call, not an empty cache that would make the
// user sign in again and again.
func TestKeychainErrorsReachTheCaller(t *testing.T) {
	locked := errors.New("errSecInteractionNotAllowed")
	kc := &fakeKeychain{failRead: locked}
	c := single(t, openKeychain(kc, Location{Dir: t.TempDir(), Name: "x"}, false, nil))
	err := c.Replace(t.Context(), &fakeMSAL{}, cache.ReplaceHints{})
	require.ErrorIs(t, err, locked)
}

func TestKeychainProbe(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		kc      *fakeKeychain
		wantErr string
	}{
		{name: "works", kc: &fakeKeychain{}},
		{name: "write fails", kc: &fakeKeychain{failWrite: boom}, wantErr: "writing a test item: boom"},
		{name: "read fails", kc: &fakeKeychain{failRead: boom}, wantErr: "reading a test item: boom"},
		{name: "delete fails", kc: &fakeKeychain{failDelete: boom}, wantErr: "deleting a test item: boom"},
		{name: "reads back other bytes", kc: &fakeKeychain{readBack: []byte("other")}, wantErr: "differs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := probeKeychain(t.Context(), tc.kc)
			if tc.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tc.wantErr)
			}
			items, calls := tc.kc.snapshot()
			require.NotEmpty(t, calls)
			service := strings.Fields(calls[0])[1]
			assert.True(t, strings.HasPrefix(service, "azinteractive.probe."), service)
			for _, call := range calls {
				assert.Equal(t, []string{service, "MSALCache"}, strings.Fields(call)[1:], "one throwaway item")
			}
			if tc.kc.failWrite == nil {
				assert.Equal(t, "delete", strings.Fields(calls[len(calls)-1])[0], "the throwaway item is deleted whatever happened")
			}
			if tc.kc.failDelete == nil {
				assert.Empty(t, items, "a throwaway item was left")
			}
		})
	}
}

// TestAzidentitysKeychainItemIsRead: while this module's item is empty, the
// item azidentity/cache keeps for the cache's name (service <name>, account
// MSALCache) serves, and is never written.
func TestAzidentitysKeychainItemIsRead(t *testing.T) {
	kc := &fakeKeychain{items: map[[2]string][]byte{}}
	m := &fakeMSAL{}
	m.signIn("alice", "rt-alice-1", "at-alice-1")
	b, err := m.Marshal()
	require.NoError(t, err)
	kc.items[[2]string{"app", keychainAccount}] = b

	loc := Location{Dir: t.TempDir(), Name: "app"}
	p := Cache{desc: "test keychain", open: func(cae bool, warn func(string)) (Storage, error) {
		return openKeychain(kc, loc, cae, warn), nil
	}, azidentity: func(cae bool, _ func(string)) reader {
		if cae {
			return nil
		}
		return azidentityKeychain(kc, loc)
	}}
	got := &fakeMSAL{}
	c := openStore(t, p, nil).Mode(false)
	require.NoError(t, c.Replace(t.Context(), got, cache.ReplaceHints{}))
	assert.Equal(t, "rt-alice-1", got.secret(sectionRefreshToken, "alice"))
	got.signIn("alice", "rt-alice-2", "at-alice-2")
	require.NoError(t, c.Export(t.Context(), got, cache.ExportHints{}))
	items, calls := kc.snapshot()
	assert.Equal(t, b, items[[2]string{"app", keychainAccount}], "azidentity's item is never written")
	assert.NotEmpty(t, items[[2]string{"app.nocae", keychainAccount}], "this module's own item")
	for _, c := range calls {
		assert.NotEqual(t, "write app "+keychainAccount, c)
	}
}
