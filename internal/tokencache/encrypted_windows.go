//go:build windows

package tokencache

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
)

const (
	encryptedStore  = "DPAPI"
	encryptedRemedy = ""
)

// openEncrypted keeps a CAE mode's cache where Python's azure-identity does:
// a DPAPI-sealed file %LOCALAPPDATA%\.IdentityService\<name>.nocae|.cae.
func openEncrypted(loc Location, cae bool, warn func(string)) (Storage, error) {
	return newFileStorage(loc.Path(cae), dpapi{}, loc.OwnDir, warn), nil
}

// probeEncrypted seals and opens a throwaway blob; nothing is stored.
func probeEncrypted(context.Context, Location) error {
	return probeDPAPI()
}

func probeDPAPI() error {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	sealed, err := dpapi{}.seal(id)
	if err != nil {
		return err
	}
	got, err := dpapi{}.open(sealed)
	if err == nil && !bytes.Equal(got, id) {
		err = errors.New("DPAPI returned different bytes")
	}
	return err
}
