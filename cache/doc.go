// Package cache persists the tokens of this module's credentials across
// processes, encrypted by the operating system. It mirrors azidentity/cache:
// build an azinteractive.Cache with [New] and set it as the Cache option of
// a credential.
//
//	c, err := cache.New(&cache.Options{RememberAccount: true})
//	if err != nil {
//		// Encrypted storage is unavailable here; err says what is missing.
//		log.Fatal(err)
//	}
//	cred, err := azinteractive.NewInteractiveBrowserCredential(
//		&azinteractive.InteractiveBrowserCredentialOptions{Cache: c},
//	)
//
// With RememberAccount, later runs get tokens silently with no application
// code to save and load an AuthenticationRecord. SignOut forgets the
// account's tokens and the remembered record.
//
// # Storage
//
// Each cache has two parts, Name plus ".nocae" and ".cae", for tokens
// without and with continuous access evaluation:
//
//   - Linux: the Secret Service (GNOME Keyring, KWallet, KeePassXC), as
//     Python's azure-identity stores it, so the two share the cache. No cgo.
//   - macOS: the Keychain (generic password, service <name>.nocae or .cae,
//     account "MSALCache"); needs cgo. Not shared with Python, which keeps
//     one item.
//   - Windows: DPAPI-sealed files under %LOCALAPPDATA%\.IdentityService, as
//     Python's azure-identity writes them.
//
// With [Options.AllowUnencryptedStorage] and no encrypted storage, the cache
// is kept in plaintext files ~/.IdentityService/<name>.nocae and .cae (mode
// 0600, directory 0700, Python's layout), and a warning is logged.
//
// Processes share a cache safely: every write is a read-modify-write under a
// lock file (<file>.lockfile), merged into what others wrote, and refresh
// tokens are redeemed one process at a time (<name>.redeem.lockfile).
// Storage that can't be decoded reads as empty, with a warning, and is
// overwritten at the next sign-in; storage that can't be written keeps the
// change in memory, with a warning, and each later write tries again.
//
// Refused, with an error that says what to fix: a symbolic link at any of
// the cache's file names, a file of another user or one others can write, a
// directory (the cache's or one above it) of another user or that others can
// write, unless it has the sticky bit, as /tmp does.
package cache
