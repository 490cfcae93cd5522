package tokencache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// keychain is what the cache needs of the macOS Keychain: generic password
// items keyed by service and account. encrypted_darwin.go adapts MSAL's
// accessor to it; what the cache decides (item names, the probe) is here, so
// that tests on any OS run it against a fake.
type keychain interface {
	// read returns the item's data, or nil when there is no such item.
	read(ctx context.Context, service, account string) ([]byte, error)
	write(ctx context.Context, service, account string, data []byte) error
	// delete removes the item; a missing item is no error.
	delete(ctx context.Context, service, account string) error
}

// keychainAccount is every cache item's account, as in Microsoft's other
// libraries.
const keychainAccount = "MSALCache"

// openKeychain keeps a CAE mode's cache in the item whose service is the
// mode's cache name (<name>.nocae or .cae), with its signal and lock files
// in loc.Dir. azidentity/cache names its item <name> alike. Python's
// azure-identity uses one fixed service for every name and both CAE modes,
// and sharing it would hand CAE tokens to non-CAE clients.
func openKeychain(kc keychain, loc Location, cae bool, _ func(string)) *fileStorage {
	return newSecretStorage(keychainItem{kc, loc.modeName(cae)}, loc.Path(cae), loc.OwnDir)
}

// keychainItem is the item of one service.
type keychainItem struct {
	kc      keychain
	service string
}

func (i keychainItem) write(ctx context.Context, data []byte) error {
	return i.kc.write(ctx, i.service, keychainAccount, data)
}

// Read returns the item's data, or nil when there is none.
func (i keychainItem) Read(ctx context.Context) ([]byte, error) {
	return i.kc.read(ctx, i.service, keychainAccount)
}

// probeKeychain writes, reads back and deletes a throwaway item, so that a
// locked or unreachable Keychain (an SSH session) is found before a sign-in.
func probeKeychain(ctx context.Context, kc keychain) error {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	service := "azinteractive.probe." + hex.EncodeToString(id)
	if err := kc.write(ctx, service, keychainAccount, id); err != nil {
		return fmt.Errorf("writing a test item: %w", err)
	}
	got, err := kc.read(ctx, service, keychainAccount)
	if rmErr := kc.delete(ctx, service, keychainAccount); err == nil && rmErr != nil {
		err = fmt.Errorf("deleting a test item: %w", rmErr)
	} else if err != nil {
		err = fmt.Errorf("reading a test item: %w", err)
	}
	if err == nil && string(got) != string(id) {
		err = errors.New("a secret read back differs from what was stored")
	}
	return err
}

// azidentityKeychain is azidentity/cache's non-CAE item for loc's name,
// read and never written.
func azidentityKeychain(kc keychain, loc Location) reader {
	return keychainItem{kc, loc.Name}
}
