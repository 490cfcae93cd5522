// Package cache persists the tokens of this module's credentials across
// processes, encrypted by the operating system. It mirrors azidentity/cache:
// build an azinteractive.Cache with [New] and set it as a credential's Cache.
//
//	c, err := cache.New(&cache.Options{RememberAccount: true})
//	if err != nil {
//		log.Fatal(err) // encrypted storage is unavailable; err says what is missing
//	}
//	cred, err := azinteractive.NewInteractiveBrowserCredential(
//		&azinteractive.InteractiveBrowserCredentialOptions{Cache: c},
//	)
//
// # Storage
//
// Each cache has two parts, Name plus ".nocae" and ".cae", for tokens
// without and with continuous access evaluation:
//
//   - Linux: files sealed with keys that the Secret Service (GNOME Keyring,
//     KWallet, KeePassXC) keeps, <name>.nocae.jwe and .cae.jwe; Python's
//     azure-identity's Secret Service items are read while they are empty.
//     Without a Secret Service, azidentity/cache's kernel keyring store.
//     No cgo.
//   - macOS: the Keychain (service <name>.nocae or .cae, account
//     "MSALCache"); needs cgo. Python keeps one item, so doesn't share it.
//   - Windows: DPAPI-sealed files in %LOCALAPPDATA%\.IdentityService, shared
//     with Python's azure-identity.
//   - Unencrypted, with [Options.AllowUnencryptedStorage] and no encrypted
//     storage: ~/.IdentityService/<name>.nocae and .cae (mode 0600, directory
//     0700, Python's layout), with a warning.
//
// Processes share a cache safely: each write is a read-modify-write under a
// lock file (<file>.lockfile), and refresh tokens are redeemed one process at
// a time (<name>.redeem.lockfile). Storage that can't be decoded reads as
// empty, with a warning; a write that fails is kept in memory, with a
// warning, and retried at the next write. Cache files another user could
// have planted or changed (symbolic links, files of others or that others
// can write, such directories above them unless sticky, like /tmp) are
// refused with an error that says what to fix.
package cache
