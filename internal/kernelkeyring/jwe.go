package kernelkeyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	josecipher "github.com/go-jose/go-jose/v4/cipher"
)

// KeySize is a cache key's length: A128CBC-HS256's 16-byte MAC and AES keys.
const KeySize = 32

// The only header values azidentity/cache writes or accepts.
const (
	algDirect = "dir"
	encA128   = "A128CBC-HS256"
)

// ErrCorrupt reports sealed data the key can't open: written with another
// key (one a reboot lost, or another user's), truncated, or changed. The
// cache should be treated as empty and overwritten.
var ErrCorrupt = errors.New("the encrypted token cache can't be decrypted with the kernel keyring's key")

// header is the JWE protected header, its fields in azidentity/cache's order
// so that the encoded header is byte for byte the one it writes.
type header struct {
	Alg string `json:"alg"`
	Enc string `json:"enc"`
	KID string `json:"kid"`
}

// Seal encrypts plaintext with key (KeySize bytes) and returns it as a JWE in
// compact serialization, with kid in its header.
func Seal(key []byte, kid string, plaintext []byte) ([]byte, error) {
	a, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	hdr, _ := json.Marshal(header{Alg: algDirect, Enc: encA128, KID: kid}) // strings only: never fails
	iv := make([]byte, aes.BlockSize)
	_, _ = rand.Read(iv) // never fails
	// No additional data, as azidentity/cache (see the package doc).
	ct := a.Seal(nil, iv, plaintext, nil)
	tag := len(ct) - KeySize/2
	enc := base64.RawURLEncoding.EncodeToString
	// The encrypted key segment is empty: "dir" wraps no key.
	return []byte(enc(hdr) + ".." + enc(iv) + "." + enc(ct[:tag]) + "." + enc(ct[tag:])), nil
}

// Open decrypts a JWE that Seal, or azidentity/cache, wrote with key. Its
// error wraps ErrCorrupt when the data is malformed or doesn't authenticate;
// it never holds the key or any of the plaintext.
func Open(key []byte, jwe []byte) ([]byte, error) {
	a, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	hdr, parts, err := parseCompact(jwe)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, err)
	}
	if hdr.Alg != algDirect || hdr.Enc != encA128 {
		return nil, fmt.Errorf("%w: it is encrypted with alg %q and enc %q, not %q and %q", ErrCorrupt, hdr.Alg, hdr.Enc, algDirect, encA128)
	}
	pt, err := a.Open(nil, parts[2], append(parts[3], parts[4]...), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: its authentication tag doesn't match (another key wrote it, or it was changed)", ErrCorrupt)
	}
	return pt, nil
}

// KeyID returns the kid in a JWE's header, or "" when it has none or can't
// be parsed: which key wrote a file, for messages.
func KeyID(jwe []byte) string {
	hdr, _, _ := parseCompact(jwe)
	return hdr.KID
}

// parseCompact splits a compact JWE of direct encryption into its header and
// its five decoded parts (the second empty), in terms of the format only.
func parseCompact(b []byte) (hdr header, parts [5][]byte, err error) {
	seg := bytes.Split(bytes.TrimSpace(b), []byte("."))
	if len(seg) != 5 {
		return hdr, parts, fmt.Errorf("it has %d dot-separated parts, not the 5 of a compact JWE", len(seg))
	}
	if len(seg[1]) != 0 {
		return hdr, parts, errors.New("it carries an encrypted key, which direct encryption doesn't")
	}
	for i, s := range seg {
		if parts[i], err = base64.RawURLEncoding.AppendDecode(nil, s); err != nil {
			return hdr, parts, fmt.Errorf("its part %d isn't unpadded base64url", i+1)
		}
	}
	if err := json.Unmarshal(parts[0], &hdr); err != nil {
		return header{}, parts, errors.New("its header isn't a JSON object of strings")
	}
	// Also guards go-jose, which indexes the last plaintext byte without
	// checking there is one.
	if iv, ct, tag := parts[2], parts[3], parts[4]; len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 || len(tag) != KeySize/2 {
		return header{}, parts, fmt.Errorf("its IV, ciphertext and tag have %d, %d and %d bytes, not %d, a positive multiple of %d and %d",
			len(iv), len(ct), len(tag), aes.BlockSize, aes.BlockSize, KeySize/2)
	}
	return hdr, parts, nil
}

// newAEAD is go-jose's AES_128_CBC_HMAC_SHA_256 (RFC 7518 section 5.2),
// which checks the tag in constant time before decrypting.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("a token cache key has %d bytes, not %d", len(key), KeySize)
	}
	return josecipher.NewCBCHMAC(key, aes.NewCipher)
}
