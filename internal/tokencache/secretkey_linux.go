//go:build linux

package tokencache

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sync/atomic"

	"github.com/azinteractive/azinteractive/internal/kernelkeyring"
)

// secretKeys keeps the key of one cache file in the Secret Service, and
// remembers it once read: a call to the Secret Service costs a connection,
// and a key never changes while its item lives. A file sealed with another
// key than the one remembered sends find back to the Secret Service.
type secretKeys struct {
	attrs map[string]string
	key   atomic.Pointer[secretKey] // nil until read or created
}

// Key items are this module's own: nothing else reads them.
const (
	keySchema    = "io.github.azinteractive.TokenCacheKey"
	keyCacheAttr = "TokenCache"
)

// newSecretKeys returns the key item of one CAE mode of loc.
func newSecretKeys(loc Location, cae bool) *secretKeys {
	return &secretKeys{attrs: map[string]string{xdgSchemaAttr: keySchema, keyCacheAttr: loc.modeName(cae)}}
}

// read reads the key over c and remembers it when there is one.
func (k *secretKeys) read(ctx context.Context, c *ssConn) (*secretKey, error) {
	b, err := c.read(ctx, k.attrs)
	// A value that isn't a key can't open the file either: it is no key,
	// and the next write replaces it.
	key, _ := parseSecretKey(b)
	if err != nil || key == nil {
		return nil, err
	}
	k.key.Store(key)
	return key, nil
}

func (k *secretKeys) find(ctx context.Context, kid string) (sealKey, error) {
	key := k.key.Load()
	if key == nil || kid != "" && kid != key.kid {
		err := withSecretService(ctx, func(c *ssConn) (err error) {
			key, err = k.read(ctx, c)
			return err
		})
		if err != nil || key == nil {
			return nil, err // not a nil *secretKey in a non-nil sealKey
		}
	}
	return key, nil
}

// create stores a new key. find, under the same lock, found none.
func (k *secretKeys) create(ctx context.Context) (sealKey, error) {
	b := make([]byte, kernelkeyring.KeySize)
	_, _ = rand.Read(b) // never fails
	key := newSecretKey(b)
	enc := []byte(base64.StdEncoding.EncodeToString(b))
	label := "azinteractive token cache key (" + k.attrs[keyCacheAttr] + ")"
	if err := withSecretService(ctx, func(c *ssConn) error { return c.store(ctx, k.attrs, label, enc) }); err != nil {
		return nil, err
	}
	k.key.Store(key)
	return key, nil
}

func (*secretKeys) lost() string {
	return "the Secret Service no longer holds its key (was the keyring reset, or the key's item deleted?)"
}

// secretKey is a cache file's key; fmt never shows its bytes.
type secretKey struct {
	secret []byte
	kid    string // names the key without revealing it: a hash of it
}

// parseSecretKey reads a key item's value, the key in base64; nil is none.
func parseSecretKey(b []byte) (*secretKey, error) {
	if len(b) == 0 {
		return nil, nil
	}
	secret, err := base64.StdEncoding.DecodeString(string(b))
	if err != nil || len(secret) != kernelkeyring.KeySize {
		return nil, fmt.Errorf("the Secret Service's token cache key isn't %d bytes in base64", kernelkeyring.KeySize)
	}
	return newSecretKey(secret), nil
}

func newSecretKey(secret []byte) *secretKey {
	sum := sha256.Sum256(secret)
	return &secretKey{secret: secret, kid: hex.EncodeToString(sum[:8])}
}

func (k *secretKey) Seal(plaintext []byte) ([]byte, error) {
	return kernelkeyring.Seal(k.secret, k.kid, plaintext)
}

func (k *secretKey) Open(jwe []byte) ([]byte, error) { return kernelkeyring.Open(k.secret, jwe) }

func (k *secretKey) KID() string { return k.kid }

// Format keeps the key's bytes out of every fmt verb.
func (k *secretKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("token cache key " + k.kid)) }
