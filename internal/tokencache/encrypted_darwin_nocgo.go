//go:build darwin && !cgo

package tokencache

import (
	"context"
	"errors"
)

const (
	encryptedStore  = "macOS Keychain"
	encryptedRemedy = "build the program with cgo enabled (CGO_ENABLED=1 and Xcode's command line tools)"
)

// errNoCgo: the Keychain API is C, and MSAL's accessor calls it through cgo.
var errNoCgo = errors.New("this program was built without cgo, which the Keychain needs")

func probeEncrypted(context.Context, Location) error { return errNoCgo }

func openEncrypted(Location, bool, func(string)) (Storage, error) {
	return nil, errNoCgo
}

// openAzidentity: there is no azidentity/cache store here to read.
func openAzidentity(Location, bool, func(string)) Storage { return nil }

// fallbackEncrypted: there is no other encrypted storage here.
func fallbackEncrypted(_ Location, unavailable *UnavailableError) (Cache, error) {
	return Cache{}, unavailable
}
