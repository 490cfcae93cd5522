//go:build !linux && !darwin && !windows

package tokencache

import (
	"context"
	"errors"
	"runtime"
)

const (
	encryptedStore  = "none"
	encryptedRemedy = ""
)

var errNoEncryption = errors.New("this package has no encrypted storage for " + runtime.GOOS)

func probeEncrypted(context.Context, Location) error { return errNoEncryption }

func openEncrypted(Location, bool, func(string)) (Storage, error) {
	return nil, errNoEncryption
}

// openAzidentity: there is no azidentity/cache store here to read.
func openAzidentity(Location, bool, func(string)) Storage { return nil }

// fallbackEncrypted: there is no other encrypted storage here.
func fallbackEncrypted(_ Location, unavailable *UnavailableError) (Cache, error) {
	return Cache{}, unavailable
}
