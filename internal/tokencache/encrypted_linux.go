//go:build linux

package tokencache

import "context"

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
	return newSecretStorage(newSecretService(loc.schema(cae)), loc.Path(cae), loc.OwnDir, warn), nil
}

// openAzidentity: there is no azidentity/cache store here to read.
func openAzidentity(Location, bool, func(string)) Storage { return nil }
