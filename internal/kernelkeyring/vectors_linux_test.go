//go:build linux

package kernelkeyring_test

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/azinteractive/azinteractive/internal/kernelkeyring"
	"github.com/azinteractive/azinteractive/internal/kernelkeyring/kernelkeyringtest"
)

var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/azidentity-cache-v0.4.0.json with azidentity/cache's internal/jwe")

// azVector is the testdata's form (see vector in jwe_test.go).
type azVector struct {
	Key       string `json:"key"`
	KID       string `json:"kid"`
	Plaintext string `json:"plaintext"`
	JWE       string `json:"jwe"`
}

// vectorInputs are what the committed vectors encrypt: empty, shorter than
// a block, exactly a block (a whole block of padding follows), and a
// cache-shaped document.
var vectorInputs = []struct{ key, kid, plaintext string }{
	{"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "1", ""},
	{"04d31fc5549dfcfe0b649dfa3faa6ace6b7cd42d6f6b09dbc8b100f08f9c2ccf", "17", "Live long and prosper."},
	{"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", "123456789", "0123456789abcdef"},
	{"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5aa5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5", "987654321",
		`{"AccessToken":{},"Account":{},"AppMetadata":{},"IdToken":{},"RefreshToken":{"uid.utid-login.microsoftonline.com-refreshtoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46--":{"secret":"not a real token"}}}`},
}

// TestKernelKeyringAzidentitySeals runs azidentity/cache's internal/jwe on
// vectorInputs and opens what it writes; with -update-vectors it commits the
// result as testdata, which TestKernelKeyringAzidentityVectors then checks
// wherever azidentity/cache can't be built.
func TestKernelKeyringAzidentitySeals(t *testing.T) {
	h := kernelkeyringtest.Azidentity(t)
	var vs []azVector
	for _, in := range vectorInputs {
		key, err := hex.DecodeString(in.key)
		require.NoError(t, err)
		jwe := h.Seal(t, key, in.kid, []byte(in.plaintext))
		pt, err := kernelkeyring.Open(key, jwe)
		require.NoError(t, err)
		assert.Equal(t, in.plaintext, string(pt))
		assert.Equal(t, in.kid, kernelkeyring.KeyID(jwe))
		vs = append(vs, azVector{Key: hex.EncodeToString(key), KID: in.kid, Plaintext: in.plaintext, JWE: string(jwe)})
	}
	if !*updateVectors {
		return
	}
	b, err := json.MarshalIndent(vs, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll("testdata", 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "azidentity-cache-v0.4.0.json"), append(b, '\n'), 0o644))
}
