//go:build darwin && cgo

package tokencache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/AzureAD/microsoft-authentication-extensions-for-go/cache/accessor"
)

const (
	encryptedStore  = "macOS Keychain"
	encryptedRemedy = "run in a logged-in session whose login keychain is unlocked (an SSH session may not reach it)"
)

// keychainAccount is the account of every cache's Keychain item, as in
// Microsoft's other libraries.
const keychainAccount = "MSALCache"

// openEncrypted keeps a CAE mode's cache in the generic password whose
// service is the cache's name (<name>.nocae or .cae). Python's azure-identity
// keys one item by the fixed service "Microsoft.Developer.IdentityService",
// for every cache name and for both CAE modes, so that its two caches
// overwrite each other; sharing it would hand CAE tokens to non-CAE clients.
func openEncrypted(loc Location, cae bool, warn func(string)) (Storage, error) {
	acc, err := accessor.New(loc.schema(cae), accessor.WithAccount(keychainAccount))
	if err != nil {
		return nil, err
	}
	return newSecretStorage(keychainStore{acc}, loc.Path(cae), loc.OwnDir, warn), nil
}

// keychainStore adapts MSAL's Keychain accessor.
type keychainStore struct{ acc *accessor.Storage }

func (k keychainStore) read(ctx context.Context) ([]byte, error) { return k.acc.Read(ctx) }

func (k keychainStore) write(ctx context.Context, data []byte) error { return k.acc.Write(ctx, data) }

// probeEncrypted writes, reads back and deletes a throwaway item.
func probeEncrypted(ctx context.Context) error {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	acc, err := accessor.New("azinteractive.probe."+hex.EncodeToString(id), accessor.WithAccount(keychainAccount))
	if err != nil {
		return err
	}
	if err := acc.Write(ctx, id); err != nil {
		return err
	}
	got, err := acc.Read(ctx)
	if rmErr := acc.Delete(ctx); err == nil {
		err = rmErr
	}
	if err == nil && string(got) != string(id) {
		err = errors.New("a secret read back differs from what was stored")
	}
	return err
}
