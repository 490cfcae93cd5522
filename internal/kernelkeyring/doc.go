// Package kernelkeyring keeps a token cache as Go's azidentity/cache v0.4.0
// does on Linux, so that the two share it: a random 32-byte "user" key in the
// kernel keyring (keyrings(7)), and the cache in a file, encrypted with it as
// a compact JWE (RFC 7516), "dir" and A128CBC-HS256, kid the key's serial.
//
// azidentity/cache's authentication tag covers no additional data, where RFC
// 7516 would have it cover the protected header, so standard JWE libraries
// can't read its files: jwe.go serializes them over go-jose's CBC-HMAC.
package kernelkeyring
