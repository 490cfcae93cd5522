package tokencache

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

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

// openPlain opens one CAE mode of a plaintext cache at loc.
func openPlain(t *testing.T, loc Location, cae bool, w *warnings) *Cache {
	t.Helper()
	var warn func(string)
	if w != nil {
		warn = w.warn
	}
	c, err := Plaintext(loc).Open(cae, warn)
	require.NoError(t, err)
	return c
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
