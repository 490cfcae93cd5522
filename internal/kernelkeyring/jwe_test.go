package kernelkeyring

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 7516 appendices A.2 and A.3 encrypt "Live long and prosper." with
// A128CBC-HS256 under one CEK and IV; their tags differ because the
// additional data, the protected header, does.
var (
	rfcCEK = []byte{4, 211, 31, 197, 84, 157, 252, 254, 11, 100, 157, 250, 63, 170, 106, 206,
		107, 124, 212, 45, 111, 107, 9, 219, 200, 177, 0, 240, 143, 156, 44, 207}
	rfcIV         = []byte{3, 22, 60, 12, 43, 67, 104, 105, 108, 108, 105, 99, 111, 116, 104, 101}
	rfcPlaintext  = []byte("Live long and prosper.")
	rfcCiphertext = "KDlTtXchhZTGufMYmOYGS4HffxPSUrfmqCHXaI9wOGY"
)

func TestKernelKeyringRFC7516Vectors(t *testing.T) {
	for _, v := range []struct{ appendix, header, tag string }{
		{"A.2", "eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0", "9hH0vgRfYgPnAHOd8stkvw"},
		{"A.3", "eyJhbGciOiJBMTI4S1ciLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0", "U0m_YmjN04DJvceFICbCVQ"},
	} {
		t.Run(v.appendix, func(t *testing.T) {
			ct, tag := sealCBCHMAC(rfcCEK, rfcIV, rfcPlaintext, []byte(v.header))
			assert.Equal(t, rfcCiphertext, base64.RawURLEncoding.EncodeToString(ct))
			assert.Equal(t, v.tag, base64.RawURLEncoding.EncodeToString(tag))
			pt, ok := openCBCHMAC(rfcCEK, rfcIV, ct, []byte(v.header), tag)
			require.True(t, ok)
			assert.Equal(t, rfcPlaintext, pt)
			_, ok = openCBCHMAC(rfcCEK, rfcIV, ct, nil, tag)
			assert.False(t, ok, "a tag over the header must not verify without it")
		})
	}
}

func TestKernelKeyringSealFormat(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	jwe, err := Seal(key, "123456789", []byte(`{"AccessToken":{}}`))
	require.NoError(t, err)
	seg := strings.Split(string(jwe), ".")
	require.Len(t, seg, 5)
	hdr, err := base64.RawURLEncoding.DecodeString(seg[0])
	require.NoError(t, err)
	// Byte for byte what azidentity/cache's json.Marshal of its Header writes.
	assert.Equal(t, `{"alg":"dir","enc":"A128CBC-HS256","kid":"123456789"}`, string(hdr))
	assert.Empty(t, seg[1], "direct encryption has no encrypted key")
	for i, n := range map[int]int{2: 16, 3: 32, 4: 16} {
		b, err := base64.RawURLEncoding.DecodeString(seg[i])
		require.NoError(t, err)
		assert.Len(t, b, n, "segment %d", i)
	}
	assert.Equal(t, "123456789", KeyID(jwe))
	pt, err := Open(key, jwe)
	require.NoError(t, err)
	assert.Equal(t, `{"AccessToken":{}}`, string(pt))

	again, err := Seal(key, "123456789", []byte(`{"AccessToken":{}}`))
	require.NoError(t, err)
	assert.NotEqual(t, jwe, again, "each seal draws a new IV")
}

func TestKernelKeyringOpenRefuses(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	secret := "refresh-token-that-must-not-leak"
	good, err := Seal(key, "1", []byte(secret))
	require.NoError(t, err)
	seg := strings.Split(string(good), ".")
	flip := func(i int) []byte {
		b, _ := base64.RawURLEncoding.DecodeString(seg[i])
		b[len(b)-1] ^= 1
		s := append([]string(nil), seg...)
		s[i] = base64.RawURLEncoding.EncodeToString(b)
		return []byte(strings.Join(s, "."))
	}
	header := func(h string) []byte {
		s := append([]string(nil), seg...)
		s[0] = base64.RawURLEncoding.EncodeToString([]byte(h))
		return []byte(strings.Join(s, "."))
	}
	other := bytes.Repeat([]byte{8}, KeySize)
	for name, c := range map[string]struct {
		key, jwe []byte
	}{
		"another key":     {other, good},
		"IV changed":      {key, flip(2)},
		"ciphertext":      {key, flip(3)},
		"tag":             {key, flip(4)},
		"truncated":       {key, good[:len(good)-5]},
		"empty":           {key, nil},
		"four parts":      {key, []byte(strings.Join(seg[:4], "."))},
		"encrypted key":   {key, []byte(seg[0] + ".AAAA." + strings.Join(seg[2:], "."))},
		"alg A128KW":      {key, header(`{"alg":"A128KW","enc":"A128CBC-HS256","kid":"1"}`)},
		"enc A256GCM":     {key, header(`{"alg":"dir","enc":"A256GCM","kid":"1"}`)},
		"header not JSON": {key, header(`dir`)},
		"padded base64":   {key, []byte(strings.Join(seg[:4], ".") + "." + seg[4] + "==")},
		"plaintext JSON":  {key, []byte(`{"AccessToken":{}}`)},
		"no ciphertext":   {key, []byte(seg[0] + ".." + seg[2] + ".." + seg[4])},
	} {
		t.Run(name, func(t *testing.T) {
			pt, err := Open(c.key, c.jwe)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Nil(t, pt)
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), hex.EncodeToString(key))
		})
	}
	// A header that differs only where no tag covers it still opens, as in
	// azidentity/cache: the kid, which neither reads.
	pt, err := Open(key, header(`{"alg":"dir","enc":"A128CBC-HS256","kid":"999"}`))
	require.NoError(t, err)
	assert.Equal(t, secret, string(pt))

	_, err = Seal(key[:16], "1", nil)
	require.Error(t, err)
	_, err = Open(key[:16], good)
	require.Error(t, err)
}

// The package documentation says standard JWE can't read azidentity/cache's
// files because its tag covers no additional data; go-jose, which follows
// RFC 7516, shows it: it refuses what Seal writes, and accepts the same
// bytes with the tag computed over the protected header.
func TestKernelKeyringNotStandardJWE(t *testing.T) {
	key := bytes.Repeat([]byte{9}, KeySize)
	jwe, err := Seal(key, "42", []byte("payload"))
	require.NoError(t, err)
	algs := []jose.KeyAlgorithm{jose.DIRECT}
	encs := []jose.ContentEncryption{jose.A128CBC_HS256}
	obj, err := jose.ParseEncryptedCompact(string(jwe), algs, encs)
	require.NoError(t, err, "the serialization is standard")
	_, err = obj.Decrypt(key)
	require.Error(t, err, "the tag is not")

	seg := strings.Split(string(jwe), ".")
	iv, _ := base64.RawURLEncoding.DecodeString(seg[2])
	ct, _ := base64.RawURLEncoding.DecodeString(seg[3])
	_, tag := sealCBCHMAC(key, iv, []byte("payload"), []byte(seg[0]))
	seg[4] = base64.RawURLEncoding.EncodeToString(tag)
	obj, err = jose.ParseEncryptedCompact(strings.Join(seg, "."), algs, encs)
	require.NoError(t, err)
	pt, err := obj.Decrypt(key)
	require.NoError(t, err)
	assert.Equal(t, "payload", string(pt))
	assert.NotEmpty(t, ct)
}

// vector is a JWE that azidentity/cache v0.4.0's internal/jwe wrote (see
// testdata/README.md for how), and what it holds.
type vector struct {
	Key       string `json:"key"` // hex
	KID       string `json:"kid"`
	Plaintext string `json:"plaintext"`
	JWE       string `json:"jwe"`
}

func TestKernelKeyringAzidentityVectors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "azidentity-cache-v0.4.0.json"))
	require.NoError(t, err)
	var vs []vector
	require.NoError(t, json.Unmarshal(b, &vs))
	require.NotEmpty(t, vs)
	for _, v := range vs {
		key, err := hex.DecodeString(v.Key)
		require.NoError(t, err)
		pt, err := Open(key, []byte(v.JWE))
		require.NoError(t, err, "kid %s", v.KID)
		assert.Equal(t, v.Plaintext, string(pt))
		assert.Equal(t, v.KID, KeyID([]byte(v.JWE)))
		// Same header bytes as ours.
		ours, err := Seal(key, v.KID, pt)
		require.NoError(t, err)
		assert.Equal(t, strings.SplitN(v.JWE, ".", 2)[0], strings.SplitN(string(ours), ".", 2)[0])
	}
}

// sealCBCHMAC and openCBCHMAC are Seal's and Open's cipher, with
// additional data.
func sealCBCHMAC(key, iv, plaintext, aad []byte) (ct, tag []byte) {
	a, _ := newAEAD(key)
	out := a.Seal(nil, iv, plaintext, aad)
	return out[:len(out)-KeySize/2], out[len(out)-KeySize/2:]
}

func openCBCHMAC(key, iv, ct, aad, tag []byte) ([]byte, bool) {
	a, _ := newAEAD(key)
	pt, err := a.Open(nil, iv, append(ct[:len(ct):len(ct)], tag...), aad)
	return pt, err == nil
}

// A key of the wrong size is refused by Seal and Open, whose message gives
// the size it has, then the size it needs.
func TestKernelKeyringRefusesAKeyOfTheWrongSize(t *testing.T) {
	_, err := Seal(make([]byte, 5), "1", []byte("{}"))
	require.EqualError(t, err, "a token cache key has 5 bytes, not 32")
	sealed, err := Seal(make([]byte, KeySize), "1", []byte("{}"))
	require.NoError(t, err)
	_, err = Open(make([]byte, 5), sealed)
	require.EqualError(t, err, "a token cache key has 5 bytes, not 32")
}

// BenchmarkSeal and BenchmarkOpen are a cache file's sealing at 1,000
// tokens (1.5 MB), which BENCHMARKS.md quotes.
func BenchmarkSeal(b *testing.B) {
	key, pt := bytes.Repeat([]byte{1}, KeySize), bytes.Repeat([]byte("x"), 1_500_000)
	for b.Loop() {
		if _, err := Seal(key, "kid", pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	key, pt := bytes.Repeat([]byte{1}, KeySize), bytes.Repeat([]byte("x"), 1_500_000)
	sealed, err := Seal(key, "kid", pt)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Open(key, sealed); err != nil {
			b.Fatal(err)
		}
	}
}
