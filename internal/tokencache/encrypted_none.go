//go:build !linux && !windows && !(darwin && cgo)

package tokencache

import (
	"context"
	"errors"
	"runtime"
)

var encryptedStore, encryptedRemedy, errNoEncryption = noEncryption()

func noEncryption() (store, remedy string, err error) {
	if runtime.GOOS == "darwin" { // the Keychain API is C, which MSAL's accessor calls through cgo
		return "macOS Keychain", "build the program with cgo enabled (CGO_ENABLED=1 and Xcode's command line tools)",
			errors.New("this program was built without cgo, which the Keychain needs")
	}
	return "none", "", errors.New("this package has no encrypted storage for " + runtime.GOOS)
}

func openEncrypted(context.Context, Location) (func(bool, func(string)) (Storage, error), error) {
	return nil, errNoEncryption
}

func openAzidentity(Location, bool, func(string)) reader { return nil }
