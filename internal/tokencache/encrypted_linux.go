//go:build linux

package tokencache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

const (
	encryptedStore  = "Secret Service"
	encryptedRemedy = "run a Secret Service provider such as gnome-keyring, KWallet or KeePassXC in this session, unlocked " +
		"(on a headless machine: dbus-run-session, then gnome-keyring-daemon --unlock with the password on its standard input)"
)

// probeEncrypted: see probeSecretService.
func probeEncrypted(ctx context.Context, _ Location) error { return probeSecretService(ctx) }

// openEncrypted keeps a CAE mode's cache where Python's azure-identity does:
// a Secret Service item with its schema and attributes, and the signal file
// ~/.IdentityService/<name>.nocae|.cae.
func openEncrypted(loc Location, cae bool, warn func(string)) (Storage, error) {
	return newSecretStorage(newSecretService(loc.modeName(cae)), loc.Path(cae), loc.OwnDir), nil
}

// openAzidentity is azidentity/cache's store on Linux, the kernel keyring's
// (see kernelKeyringStorage), read while the Secret Service holds nothing.
func openAzidentity(loc Location, cae bool, warn func(string)) Storage {
	if probeKernelKeyring() != nil {
		return nil
	}
	st, err := openKernelKeyring(loc, cae, warn)
	if err != nil {
		return nil
	}
	return st
}

// fallbackEncrypted is the kernel keyring's storage, where no Secret Service
// can be used (no session bus, no service, or a locked keyring nobody can
// unlock: SSH sessions, WSL, containers, CI), as azidentity/cache keeps it,
// so a user switching from it keeps their sign-in. A reboot loses the key,
// and with it the cache. unavailable says why the Secret Service can't be
// used.
func fallbackEncrypted(loc Location, unavailable *UnavailableError) (Cache, error) {
	if err := probeKernelKeyring(); err != nil {
		var ue *UnavailableError
		_ = errors.As(err, &ue)
		return Cache{}, &UnavailableError{
			Store:  encryptedStore + " or " + kernelKeyringStore,
			Remedy: strings.Join(slices.DeleteFunc([]string{unavailable.Remedy, ue.Remedy}, func(s string) bool { return s == "" }), "; or "),
			Err:    fmt.Errorf("%w; and the %s: %w", unavailable.Err, kernelKeyringStore, ue.Err),
		}
	}
	open := func(cae bool, warn func(string)) (Storage, error) { return openKernelKeyring(loc, cae, warn) }
	return WithWarning(Cache{
		desc:       kernelKeyringStore,
		open:       checked(open),
		redeemLock: loc.redeemLock(),
	}, fmt.Sprintf("tokens are encrypted with a key kept in the %s, which a reboot loses, because the Secret Service can't be used: %v",
		kernelKeyringStore, unavailable.Err)), nil
}
