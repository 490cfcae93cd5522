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
// With RememberAccount, the first run signs the user in and later runs
// (new processes with the same options) get tokens silently, with no
// application code to save and load an AuthenticationRecord. SignOut on the
// credential forgets the account's tokens and the remembered record.
//
// # Storage
//
// Each cache has two parts, for tokens with and without continuous access
// evaluation (CAE), named Name plus ".nocae" and ".cae" as in Microsoft's
// other libraries:
//
//   - Linux: the Secret Service on the session D-Bus (GNOME Keyring, KWallet,
//     KeePassXC), with the schema, attributes and label of Python's
//     azure-identity, so that Python and Go programs with the same Name share
//     the cache. No cgo is needed.
//   - macOS: the Keychain (a generic password with service <name>.nocae or
//     .cae, account "MSALCache"). This needs a cgo build. Python keeps every
//     cache in one item, so the two don't share a cache here.
//   - Windows: files under %LOCALAPPDATA%\.IdentityService sealed with DPAPI
//     for the current user, with the path and sealing of Python's
//     azure-identity.
//
// When encrypted storage is unavailable, New fails, naming what is missing,
// unless [Options.AllowUnencryptedStorage] is set: the cache is then kept in
// plaintext files ~/.IdentityService/<name>.nocae and .cae, mode 0600 in a
// 0700 directory, the layout Python's azure-identity uses, and a warning is
// logged.
//
// Processes share a cache safely: every write is a read-modify-write under a
// lock file (<file>.lockfile, never deleted; the operating system releases
// the lock of a process that dies), merged into what the other processes
// wrote, and readers re-read storage only when it changed. Refresh tokens are
// redeemed one process at a time (<name>.redeem.lockfile), so processes that
// refresh at once each use the refresh token the last one stored. Storage
// that can't be decoded (corrupt, truncated, sealed for another user) reads
// as empty, is logged as a warning, and is overwritten at the next sign-in.
// Storage that can't be written (a full disk, a read-only directory) costs no
// token: the change is kept in memory, a warning says why, and each later
// write tries again.
//
// Files another user could have planted or could change are refused, with an
// error that says what to fix: a symbolic link at any of the cache's file
// names, a file of another user or one others can write, a directory (the
// cache's or one above it) of another user or that others can write, unless
// it has the sticky bit, as /tmp does.
package cache
