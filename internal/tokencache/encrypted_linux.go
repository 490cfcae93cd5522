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

// openEncrypted keeps a CAE mode's cache in the file <dir>/<name>.nocae.jwe
// or .cae.jwe, sealed as azidentity/cache seals its files, with a key kept
// in the Secret Service (see secretKeys): a refresh writes the file, where
// a cache kept in the Secret Service would rewrite the keyring's file for
// each mode. While the file is empty, the cache is read from where Python's
// azure-identity, and this module before, kept it: a Secret Service item
// with the signal file <dir>/<name>.nocae|.cae.
//
// It reads the keys, so that a process that finds them asks nothing more;
// when one is missing, it checks over the same connection that the default
// collection, where a new key goes, is unlocked (unlocking it, which may
// prompt, or creating it, as a first write would), and reads again.
func openEncrypted(ctx context.Context, loc Location) (func(bool, func(string)) (Storage, error), error) {
	keys := map[bool]*secretKeys{false: newSecretKeys(loc, false), true: newSecretKeys(loc, true)}
	err := withSecretService(ctx, func(c *ssConn) error {
		var missing []*secretKeys
		for _, k := range keys {
			if key, err := k.read(ctx, c); err != nil || key == nil {
				missing = append(missing, k) // a key that fails is read again when needed
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if _, err := c.collection(ctx); err != nil {
			return err
		}
		for _, k := range missing {
			_, _ = k.read(ctx, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return func(cae bool, warn func(string)) (Storage, error) {
		legacy := newSecretService(loc.modeName(cae)).read
		return newSealedStorage(loc.Path(cae)+".jwe", loc.OwnDir, keys[cae], legacy, warn), nil
	}, nil
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
