//go:build linux

package tokencache

import (
	"context"
	"errors"
	"fmt"
)

const (
	encryptedStore  = "Secret Service"
	encryptedRemedy = "run a Secret Service provider such as gnome-keyring, KWallet or KeePassXC in this session, unlocked " +
		"(on a headless machine: dbus-run-session, then gnome-keyring-daemon --unlock with the password on its standard input)"
)

func probeEncrypted(ctx context.Context, _ Location) error { return probeSecretService(ctx) }

// openEncrypted keeps a CAE mode's cache where Python's azure-identity does:
// a Secret Service item, and the signal file <dir>/<name>.nocae|.cae.
func openEncrypted(loc Location, cae bool, _ func(string)) (Storage, error) {
	return newSecretStorage(newSecretService(loc.modeName(cae)), loc.Path(cae), loc.OwnDir), nil
}

// openAzidentity is azidentity/cache's store on Linux: the kernel keyring's.
func openAzidentity(loc Location, cae bool, warn func(string)) reader {
	if probeKernelKeyring() != nil {
		return nil
	}
	st, _ := openKernelKeyring(loc, cae, warn) // nil when it fails
	return st
}

// fallbackEncrypted is the kernel keyring's storage, as azidentity/cache
// keeps it, where the Secret Service can't be used (no session bus or
// service, or a locked keyring nobody can unlock: SSH, WSL, containers, CI).
// A reboot loses the key, and with it the cache.
func fallbackEncrypted(loc Location, unavailable *UnavailableError) (Cache, error) {
	if err := probeKernelKeyring(); err != nil {
		var ue *UnavailableError
		_ = errors.As(err, &ue)
		unavailable.Store += " or " + kernelKeyringStore
		if ue.Remedy != "" {
			unavailable.Remedy += "; or " + ue.Remedy
		}
		unavailable.Err = fmt.Errorf("%w; and the %s: %w", unavailable.Err, kernelKeyringStore, ue.Err)
		return Cache{}, unavailable
	}
	return WithWarning(Cache{
		desc: kernelKeyringStore,
		open: func(cae bool, warn func(string)) (Storage, error) {
			return openKernelKeyring(loc, cae, warn)
		},
		redeemLock: loc.redeemLock(),
		fallback:   true,
	}, fmt.Sprintf("tokens are encrypted with a key kept in the %s, which a reboot loses, because the Secret Service can't be used: %v",
		kernelKeyringStore, unavailable.Err)), nil
}
