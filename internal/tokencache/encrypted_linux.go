//go:build linux

package tokencache

import "context"

const (
	encryptedStore  = "Secret Service"
	encryptedRemedy = "run a Secret Service provider such as gnome-keyring, KWallet or KeePassXC in this session, unlocked " +
		"(on a headless machine: dbus-run-session, then gnome-keyring-daemon --unlock with the password on its standard input)"
)

// probeEncrypted checks the Secret Service and reads the CAE cache over the
// same connection, which saves the first read a connection of its own (a
// fifth of a new process's time to its first token). CAE, because Azure SDK
// clients always ask for CAE tokens.
func probeEncrypted(ctx context.Context, loc Location) (*earlyRead, error) {
	early, err := probeSecretService(ctx, newSecretService(loc.schema(true)), loc.Path(true))
	if early != nil {
		early.cae = true
	}
	return early, err
}

// openEncrypted keeps a CAE mode's cache where Python's azure-identity does:
// a Secret Service item with its schema and attributes, and the signal file
// ~/.IdentityService/<name>.nocae|.cae.
func openEncrypted(loc Location, cae bool, early *earlyRead, warn func(string)) (Storage, error) {
	s := newSecretStorage(newSecretService(loc.schema(cae)), loc.Path(cae), loc.OwnDir, warn)
	s.early.Store(early)
	return s, nil
}
