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
			m := modelOf(parseOrFail(t, data))
			again, err := parse(m.marshal())
			require.NoError(t, err, "what we write, we read")
			for name, entries := range c {
				if name == sectionAccessToken && len(entries) == 0 {
					continue // an empty section isn't written
				}
				require.Contains(t, again, name)
				require.Equal(t, len(entries), len(again[name]), name)
			}
			m.removeAccount("hid")
			_ = m.matching([]string{"a"})
		}
		// Through a Store as MSAL drives it: stored bytes, then an export.
		s, err := Open(over(&memory{data: data}), nil)
		require.NoError(t, err)
		for _, ctx := range []context.Context{context.Background(), s.Begin(context.Background(), 0, []string{"a-b"})} {
			var u jsonUnmarshaler
			require.NoError(t, s.Mode(false).Replace(ctx, &u, struct{ PartitionKey string }{}))
			if u.got != nil {
				_, err = parse(u.got)
				require.NoError(t, err, "MSAL is never handed undecodable bytes")
			}
			_ = s.Mode(false).Export(ctx, bytesMarshaler(data), struct{ PartitionKey string }{})
		}
	})
}

func parseOrFail(t *testing.T, data []byte) contract {
	c, err := parse(data)
	require.NoError(t, err)
	return c
}
