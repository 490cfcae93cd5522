// Package tokencache stores MSAL's serialized token cache for a credential.
//
// MSAL hands its whole cache to [Cache.Export] after every token it obtains from
// the network and asks for it back through [Cache.Replace] before every
// operation. Cache turns those whole-blob calls into a three-way merge against
// what storage holds now, so that two credentials (or two processes) writing one
// storage never lose each other's entries, and it links a credential's CAE and
// non-CAE caches so that one sign-in serves both.
package tokencache
