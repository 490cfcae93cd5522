// Package tokencache keeps a credential's tokens for MSAL: in memory, or in
// storage that other processes (and Python's azure-identity) share.
//
// A [Cache] says where; [Open] turns it into a credential's [Store], which
// owns the MSAL caches of the two CAE modes. The Store holds each parsed,
// once, and hands MSAL views of it holding only the access tokens a call
// could use (view.go, match.go), so that a token costs the same in a cache
// of one token or ten thousand. MSAL's changes go into memory and, for
// persistent [Storage], into a locked read-modify-write merged with what
// other processes wrote (persist.go). Redemptions of refresh tokens run one
// at a time across processes ([Store.Redeem]), a sign-out fences off what
// earlier calls would write back ([Store.RemoveAccount]), and storage that
// can't be written costs a warning, never a token. Files are opened without
// following links and refused when another user could have planted them
// (file_safe.go).
package tokencache
