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

// KeySize is the length of a cache key: A128CBC-HS256 takes a 16-byte MAC
// key and a 16-byte AES key.
const KeySize = 32

// The only header values azidentity/cache writes or accepts.
const (
	algDirect = "dir"
	encA128   = "A128CBC-HS256"
)

// ErrCorrupt reports sealed data that can't be opened with the key: it was
// written with another key (one that a reboot lost, or another user's),
// truncated, or changed. Retrying won't help; the cache should be treated as
// empty and overwritten.
var ErrCorrupt = errors.New("the encrypted token cache can't be decrypted with the kernel keyring's key")

// header is the JWE protected header. Its fields are in azidentity/cache's
// order (alg, enc, kid), so the encoded header is byte for byte the one it
// writes.
type header struct {
	Alg string `json:"alg"`
	Enc string `json:"enc"`
	KID string `json:"kid"`
}

// Seal encrypts plaintext with key (KeySize bytes) and returns it as a JWE in
// compact serialization, with kid in its header.
func Seal(key []byte, kid string, plaintext []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("a token cache key has %d bytes, not %d", KeySize, len(key))
	}
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, fmt.Errorf("can't draw an IV to encrypt the token cache: %w", err)
	}
	hdr, err := json.Marshal(header{Alg: algDirect, Enc: encA128, KID: kid})
	if err != nil {
		return nil, err
	}
	// azidentity/cache authenticates no additional data (see the package
	// documentation): nil here, or it couldn't read what this writes.
	ct, tag := sealCBCHMAC(key, iv, plaintext, nil)
	enc := base64.RawURLEncoding
	var b bytes.Buffer
	b.WriteString(enc.EncodeToString(hdr))
	// The second segment, the encrypted key, is empty: "dir" wraps no key.
	b.WriteString("..")
	b.WriteString(enc.EncodeToString(iv))
	b.WriteByte('.')
	b.WriteString(enc.EncodeToString(ct))
	b.WriteByte('.')
	b.WriteString(enc.EncodeToString(tag))
	return b.Bytes(), nil
}

// Open decrypts a JWE that Seal, or azidentity/cache, wrote with key. Its
// error wraps ErrCorrupt when the data is malformed or doesn't authenticate;
// it never holds the key or any of the plaintext.
func Open(key []byte, jwe []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("a token cache key has %d bytes, not %d", KeySize, len(key))
	}
	hdr, iv, ct, tag, err := parseCompact(jwe)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, err)
	}
	if hdr.Alg != algDirect || hdr.Enc != encA128 {
		return nil, fmt.Errorf("%w: it is encrypted with alg %q and enc %q, not %q and %q", ErrCorrupt, hdr.Alg, hdr.Enc, algDirect, encA128)
	}
	pt, ok := openCBCHMAC(key, iv, ct, nil, tag)
	if !ok {
		return nil, fmt.Errorf("%w: its authentication tag doesn't match (another key wrote it, or it was changed)", ErrCorrupt)
	}
	return pt, nil
}

// KeyID returns the kid in a JWE's header, or "" when it has none or can't
// be parsed. It says which key wrote a file, for messages.
func KeyID(jwe []byte) string {
	hdr, _, _, _, err := parseCompact(jwe)
	if err != nil {
		return ""
	}
	return hdr.KID
}

// parseCompact splits a compact JWE of direct encryption into its parts.
// The messages say what is wrong in terms of the format only.
func parseCompact(b []byte) (hdr header, iv, ct, tag []byte, err error) {
	seg := bytes.Split(bytes.TrimSpace(b), []byte("."))
	if len(seg) != 5 {
		return hdr, nil, nil, nil, fmt.Errorf("it has %d dot-separated parts, not the 5 of a compact JWE", len(seg))
	}
	if len(seg[1]) != 0 {
		return hdr, nil, nil, nil, errors.New("it carries an encrypted key, which direct encryption doesn't")
	}
	dec := func(what string, s []byte) ([]byte, error) {
		out := make([]byte, base64.RawURLEncoding.DecodedLen(len(s)))
		n, err := base64.RawURLEncoding.Decode(out, s)
		if err != nil {
			return nil, fmt.Errorf("its %s isn't unpadded base64url", what)
		}
		return out[:n], nil
	}
	h, err := dec("header", seg[0])
	if err != nil {
		return hdr, nil, nil, nil, err
	}
	if err := json.Unmarshal(h, &hdr); err != nil {
		return hdr, nil, nil, nil, errors.New("its header isn't a JSON object of strings")
	}
	if iv, err = dec("IV", seg[2]); err != nil {
		return hdr, nil, nil, nil, err
	}
	if ct, err = dec("ciphertext", seg[3]); err != nil {
		return hdr, nil, nil, nil, err
	}
	if tag, err = dec("tag", seg[4]); err != nil {
		return hdr, nil, nil, nil, err
	}
	switch {
	case len(iv) != aes.BlockSize:
		return hdr, nil, nil, nil, fmt.Errorf("its IV has %d bytes, not %d", len(iv), aes.BlockSize)
	case len(ct) == 0 || len(ct)%aes.BlockSize != 0:
		return hdr, nil, nil, nil, fmt.Errorf("its ciphertext has %d bytes, not a positive multiple of %d", len(ct), aes.BlockSize)
	case len(tag) != KeySize/2:
		return hdr, nil, nil, nil, fmt.Errorf("its tag has %d bytes, not %d", len(tag), KeySize/2)
	}
	return hdr, iv, ct, tag, nil
}

// aead is AES_128_CBC_HMAC_SHA_256 (RFC 7518 section 5.2), from go-jose:
// PKCS #7 padding, AES-CBC under the key's second half, and a tag of the
// first 16 bytes of HMAC-SHA-256, under its first half, over
// AAD || IV || ciphertext || AAD's length in bits, checked in constant time
// before anything is decrypted.
func aead(key []byte) cipher.AEAD {
	a, err := josecipher.NewCBCHMAC(key, aes.NewCipher)
	if err != nil {
		panic(err) // unreachable: callers pass KeySize bytes, and AES takes their half
	}
	return a
}

func sealCBCHMAC(key, iv, plaintext, aad []byte) (ct, tag []byte) {
	out := aead(key).Seal(nil, iv, plaintext, aad)
	return out[:len(out)-KeySize/2], out[len(out)-KeySize/2:]
}

func openCBCHMAC(key, iv, ct, aad, tag []byte) ([]byte, bool) {
	// go-jose indexes the last plaintext byte without checking there is
	// one; parseCompact refuses such input too.
	if len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 || len(tag) != KeySize/2 {
		return nil, false
	}
	pt, err := aead(key).Open(nil, iv, append(ct[:len(ct):len(ct)], tag...), aad)
	return pt, err == nil
}
