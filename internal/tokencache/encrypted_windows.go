//go:build windows

package tokencache

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
)

const (
	encryptedStore  = "DPAPI"
	encryptedRemedy = ""
)

// openEncrypted keeps a CAE mode's cache where Python's azure-identity does:
// a DPAPI-sealed file %LOCALAPPDATA%\.IdentityService\<name>.nocae|.cae.
// It checks DPAPI first by sealing and opening a throwaway blob.
func openEncrypted(_ context.Context, loc Location) (func(bool, func(string)) (Storage, error), error) {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	sealed, err := dpapi{}.seal(id)
	if err != nil {
		return nil, err
	}
	if got, err := (dpapi{}).open(sealed); err != nil || !bytes.Equal(got, id) {
		return nil, cmp.Or(err, errors.New("DPAPI returned different bytes"))
	}
	return func(cae bool, _ func(string)) (Storage, error) {
		return newFileStorage(loc.Path(cae), dpapi{}, loc.OwnDir), nil
	}, nil
}

// openAzidentity is azidentity/cache's store on Windows: the same DPAPI
// format in the same directory, named <name> (non-CAE) and <name>.cae. The
// CAE file is this module's own (Python's azure-identity names it so too),
// so only the non-CAE one is another store.
func openAzidentity(loc Location, cae bool, warn func(string)) reader {
	if cae {
		return nil
	}
	return newFileStorage(filepath.Join(loc.Dir, loc.Name), dpapi{}, loc.OwnDir)
}
