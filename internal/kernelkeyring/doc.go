// Package kernelkeyring keeps a token cache the way Go's azidentity/cache
// does on Linux, so that the two modules share one cache: a random 32-byte
// key in the kernel's key retention service (see keyrings(7)), and the cache
// in a file, encrypted with that key as a JWE.
//
// The key is a "user" key whose description is the cache's name, in the
// user's persistent keyring when the kernel has one (KEYCTL_GET_PERSISTENT),
// else in the user keyring. Its payload is the 32 key bytes and a NUL, which
// azidentity/cache adds and expects. Kernel keys live in memory only, so a
// reboot loses the key and with it the cache: callers treat a file without
// its key as an empty cache.
//
// The file is a JWE in compact serialization (RFC 7516) with direct
// encryption ("dir") and A128CBC-HS256 (RFC 7518 section 5.2.3), whose kid is
// the key's serial number in decimal, exactly as azidentity/cache v0.4.0
// writes it, with one deviation that this package must share: the
// authentication tag covers no additional data, where RFC 7516 would have it
// cover the protected header. Standard JWE libraries (go-jose among them)
// therefore can't read these files: this package serializes them itself
// (jwe.go), over go-jose's AES_128_CBC_HMAC_SHA_256, called with no
// additional data.
package kernelkeyring
