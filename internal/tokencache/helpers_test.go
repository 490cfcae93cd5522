package tokencache

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/stretchr/testify/require"
)

// fakeMSAL stands in for MSAL's in-memory cache: Replace loads it, Export
// reads it, and tests edit it as MSAL would after a sign-in.
type fakeMSAL struct{ data map[string]map[string]any }

func (f *fakeMSAL) Unmarshal(b []byte) error {
	f.data = map[string]map[string]any{}
	return json.Unmarshal(b, &f.data)
}

func (f *fakeMSAL) Marshal() ([]byte, error) { return json.Marshal(f.data) }

// put sets one entry, as MSAL's Write does.
func (f *fakeMSAL) put(section, key string, entry map[string]any) {
	if f.data == nil {
		f.data = map[string]map[string]any{}
	}
	if f.data[section] == nil {
		f.data[section] = map[string]any{}
	}
	f.data[section][key] = entry
}

// signIn adds what MSAL stores for a sign-in of user with refresh token rt
// and access token at.
func (f *fakeMSAL) signIn(user, rt, at string) {
	hid := "uid-" + user + ".tid"
	f.put(sectionAccount, hid+"-login.microsoftonline.com-tid", map[string]any{
		"home_account_id": hid, "environment": "login.microsoftonline.com", "realm": "tid",
		"local_account_id": "uid-" + user, "authority_type": "MSSTS", "username": user + "@contoso.com",
	})
	f.put(sectionRefreshToken, hid+"-login.microsoftonline.com-refreshtoken-cid--", map[string]any{
		"home_account_id": hid, "environment": "login.microsoftonline.com", "credential_type": "RefreshToken",
		"client_id": "cid", "secret": rt,
	})
	f.put(sectionAccessToken, hid+"-login.microsoftonline.com-accesstoken-cid-tid-scope", map[string]any{
		"home_account_id": hid, "environment": "login.microsoftonline.com", "credential_type": "AccessToken",
		"client_id": "cid", "realm": "tid", "target": "scope", "secret": at,
		"cached_at": "1700000000", "expires_on": "4102444800", "extended_expires_on": "4102444800",
	})
}

// secret returns the secret of user's entry in section, or "".
func (f *fakeMSAL) secret(section, user string) string {
	for _, e := range f.data[section] {
		m, _ := e.(map[string]any)
		if m["home_account_id"] == "uid-"+user+".tid" {
			s, _ := m["secret"].(string)
			return s
		}
	}
	return ""
}

// warnings collects a Cache's warnings.
type warnings struct {
	mu   sync.Mutex // guards msgs
	msgs []string
}

func (w *warnings) warn(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// plaintextLoc is a plaintext cache location in a fresh directory.
func plaintextLoc(t *testing.T) Location {
	return Location{Dir: filepath.Join(t.TempDir(), ".IdentityService"), Name: "test.cache", OwnDir: true}
}

// openStore opens a Store over p. Warnings go to w; with w nil, any
// warning fails the test.
func openStore(t testing.TB, p Cache, w *warnings) *Store {
	t.Helper()
	warn := func(msg string) { t.Errorf("unexpected warning: %s", msg) }
	if w != nil {
		warn = w.warn
	}
	s, err := Open(p, warn)
	require.NoError(t, err)
	return s
}

// openPlain opens one CAE mode of a plaintext cache at loc, in a Store of
// its own: a process of its own, as far as the cache can tell.
func openPlain(t testing.TB, loc Location, cae bool, w *warnings) cache.ExportReplace {
	t.Helper()
	return openStore(t, Plaintext(loc), w).Mode(cae)
}

// single is the non-CAE mode of a Store over st alone (see over).
func single(t testing.TB, st Storage) cache.ExportReplace {
	t.Helper()
	return openStore(t, over(st), &warnings{}).Mode(false)
}

// over is a Cache whose non-CAE mode is kept in st and whose CAE
// mode is kept in memory storage of its own.
func over(st Storage) Cache {
	other := &memory{}
	return Cache{desc: "test storage", open: func(cae bool, _ func(string)) (Storage, error) {
		if cae {
			return other, nil
		}
		return st, nil
	}}
}

// memory is Storage in memory, stamped with a count of its writes.
type memory struct {
	mu     sync.Mutex // guards data and writes
	data   []byte
	writes int
}

func (m *memory) Stamp(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strconv.Itoa(m.writes), nil
}

func (m *memory) Lock(context.Context) (func(), error) { return func() {}, nil }

func (m *memory) Read(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data, nil
}

func (m *memory) Write(_ context.Context, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = data
	m.writes++
	return nil
}

// stored decodes the file of one CAE mode.
func stored(t *testing.T, loc Location, cae bool) *fakeMSAL {
	t.Helper()
	b, err := os.ReadFile(loc.Path(cae))
	require.NoError(t, err)
	f := &fakeMSAL{}
	require.NoError(t, f.Unmarshal(b))
	return f
}
