package azinteractive

import "fmt"

// What this module accepts from the network. Every field that reaches a
// user, a log or memory has a bound: a hostile or broken authority (or
// anything on the path to it) can't make a credential hold hundreds of
// megabytes, or print pages of text into a terminal.
const (
	// maxDescriptionLen bounds an error description kept in an error;
	// longer ones are cut, and say so.
	maxDescriptionLen = 4 << 10
	// maxErrorCodeLen bounds an OAuth error code ("invalid_grant").
	maxErrorCodeLen = 128

	// Device code fields: Entra ID's message is one sentence of about 150
	// characters (longer in some languages), its code about ten letters, its
	// URL short.
	maxDeviceCodeMessageLen = 4 << 10
	maxUserCodeLen          = 128
	maxVerificationURLLen   = 2 << 10

	// maxUsernameLen bounds the username of an ID token (preferred_username
	// or upn). Entra ID's are at most a few hundred characters.
	maxUsernameLen = 1 << 10
)

// tooLong is the error for a field over its bound.
func tooLong(what string, n, limit int) error {
	return fmt.Errorf("%s is %d bytes, more than the %d this module accepts; refusing it", what, n, limit)
}
