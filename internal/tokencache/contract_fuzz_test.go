package tokencache

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonUnmarshaler stands in for MSAL's cache: it accepts what encoding/json
// accepts as an object.
type jsonUnmarshaler struct{ got []byte }

func (u *jsonUnmarshaler) Unmarshal(b []byte) error {
	_, err := parse(b)
	u.got = b
	return err
}

type bytesMarshaler []byte

func (b bytesMarshaler) Marshal() ([]byte, error) { return b, nil }

// FuzzContract throws arbitrary stored bytes at the cache's decoding: parse,
// write back, merge and sign-out never panic, a decoded cache survives its own
// round trip, and Replace hands MSAL something it can decode.
func FuzzContract(f *testing.F) {
	f.Add([]byte(`{"AccessToken":{"a-b":{"secret":"x"}},"RefreshToken":{}}`))
	f.Add([]byte(`{"Unknown":[1,2,3],"Account":{"hid-env-realm":{"home_account_id":"hid"}}}`))
	f.Add([]byte(`not json`))
	if b, err := os.ReadFile(filepath.Join("..", "..", "cache", "testdata", "python_plaintext_cache.json")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse(data)
		if err == nil {
			again, err := parse(c.marshal())
			require.NoError(t, err, "what we write, we read")
			require.Equal(t, len(c), len(again))
			again.apply(diff(c, again))
			again.removeAccount("hid")
		}
		// Through the Cache as MSAL drives it: stored bytes, then an export.
		cache := New(&memory{data: data}, nil)
		var u jsonUnmarshaler
		require.NoError(t, cache.Replace(context.Background(), &u, struct{ PartitionKey string }{}))
		_, err = parse(u.got)
		require.NoError(t, err, "MSAL is never handed undecodable bytes")
		_ = cache.Export(context.Background(), bytesMarshaler(data), struct{ PartitionKey string }{})
	})
}
