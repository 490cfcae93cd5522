package tokencache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// keychain is what the cache needs of the macOS Keychain: generic password
// items, each keyed by its service and account. encrypted_darwin.go adapts
// MSAL's Keychain accessor to it; everything the cache decides about the
// Keychain (item names, what goes in them, the probe) is here, behind it, so
// that tests on any OS run it against a fake.
type keychain interface {
	// read returns the item's data, or nil when there is no such item.
	read(ctx context.Context, service, account string) ([]byte, error)
	// write creates the item, or replaces its data.
	write(ctx context.Context, service, account string, data []byte) error
	// delete removes the item; a missing item is no error.
	delete(ctx context.Context, service, account string) error
}

// keychainAccount is the account of every cache's Keychain item, as in
// Microsoft's other libraries.
const keychainAccount = "MSALCache"

// keychainProbePrefix starts the service of probeKeychain's throwaway items.
const keychainProbePrefix = "azinteractive.probe."

// openKeychain keeps a CAE mode's cache in the generic password whose
// service is the cache's name (<name>.nocae or .cae) and whose account is
// "MSALCache", as Go's azidentity/cache names its items (service <name>,
// account MSALCache), and its signal and lock files in loc.Dir. Python's
// azure-identity keys one item by the fixed service
// "Microsoft.Developer.IdentityService", for every cache name and for both
// CAE modes, so that its two caches overwrite each other; sharing it would
// hand CAE tokens to non-CAE clients.
func openKeychain(kc keychain, loc Location, cae bool, warn func(string)) *fileStorage {
	item := keychainItem{kc: kc, service: loc.modeName(cae), account: keychainAccount}
	return newSecretStorage(item, loc.Path(cae), loc.OwnDir)
}

// keychainItem is one Keychain item as a secretStore.
type keychainItem struct {
	kc               keychain
	service, account string
}

func (i keychainItem) read(ctx context.Context) ([]byte, error) {
	return i.kc.read(ctx, i.service, i.account)
}

func (i keychainItem) write(ctx context.Context, data []byte) error {
	return i.kc.write(ctx, i.service, i.account, data)
}

// probeKeychain writes, reads back and deletes a throwaway item, so that a
// locked or unreachable Keychain (an SSH session) is found before a sign-in
// rather than after it.
func probeKeychain(ctx context.Context, kc keychain) error {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	service := keychainProbePrefix + hex.EncodeToString(id)
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

// azidentityKeychain is azidentity/cache's non-CAE Keychain item for loc's
// cache name: service <name>, account MSALCache.
func azidentityKeychain(kc keychain, loc Location) Storage {
	return secretReader{keychainItem{kc: kc, service: loc.Name, account: keychainAccount}}
}

// secretReader reads a secret store that belongs to another library: it is
// never written.
type secretReader struct{ store secretItem }

func (r secretReader) Read(ctx context.Context) ([]byte, error) { return r.store.read(ctx) }

func (secretReader) Write(context.Context, []byte) error {
	return errors.New("another library's store is read, never written")
}
