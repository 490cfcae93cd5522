// Package tokencache keeps a credential's tokens for MSAL: in memory, or in
// storage that other processes (and Python's azure-identity) share.
//
// A [Store] owns a credential's two MSAL caches, CAE and non-CAE. It holds
// each parsed, once, and hands MSAL only views of it: the sections MSAL reads
// whole and the access tokens the call could use (view.go, match.go), so that
// a token costs the same in a cache of one token or ten thousand. MSAL's
// writes come back as the changes from the view it was handed, which go into
// the cache and, for persistent storage, into a read-modify-write under a lock
// file, merged into what other processes wrote (persist.go). Redemptions of
// refresh tokens run one at a time across processes ([Store.Redeem]), a
// sign-out fences off what calls that began before it would write back
// ([Store.RemoveAccount]), and storage that can't be written costs a warning,
// never a token. Every file is opened without following links and refused
// when another user could have planted it (file_safe.go).
package tokencache
