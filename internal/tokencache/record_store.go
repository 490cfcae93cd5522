package tokencache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// fileRecords keeps each application's AuthenticationRecord in a file beside
// the cache: <dir>/<name>.<client ID>.authrecord.json. A record names the
// account, tenant and authority, and holds no secret, so it needs no
// encryption; its file is private to its owner all the same, because a
// username is personal data, and it is read only when the user owns it and
// no one else can write it (see readPrivate): a record another user planted
// would make the application use the wrong account.
type fileRecords struct{ loc Location }

// FileRecords returns a RecordStore in loc's directory.
func FileRecords(loc Location) RecordStore { return fileRecords{loc} }

// safeKey matches keys that are file names as they are: client IDs are GUIDs.
var safeKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$`)

func (r fileRecords) path(key string) string {
	if !safeKey.MatchString(key) {
		sum := sha256.Sum256([]byte(key))
		key = hex.EncodeToString(sum[:16])
	}
	return filepath.Join(r.loc.Dir, r.loc.Name+"."+key+".authrecord.json")
}

// Load implements RecordStore.
func (r fileRecords) Load(key string) ([]byte, error) { return readPrivate(r.path(key)) }

// Save implements RecordStore.
func (r fileRecords) Save(key string, record []byte) error { return replaceFile(r.path(key), record) }

// Delete implements RecordStore.
func (r fileRecords) Delete(key string) error {
	err := os.Remove(r.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
