package tokencache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// fileRecords keeps each application's AuthenticationRecord beside the cache,
// in <dir>/<name>.<client ID>.authrecord.json. A record holds no secret, but
// a username is personal data, so the file is private, and one another user
// planted would sign in the wrong account, so readPrivate refuses it.
type fileRecords struct{ loc Location }

// FileRecords returns a RecordStore in loc's directory.
func FileRecords(loc Location) RecordStore { return fileRecords{loc} }

// safeKey reports whether key is a file name as it is (client IDs are
// GUIDs): an ASCII letter or digit, then up to 100 of those, '.', '_' or
// '-'. A regexp's {0,100} would cost 1,300 allocations at every start.
func safeKey(key string) bool {
	if len(key) == 0 || len(key) > 101 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func (r fileRecords) path(key string) string {
	if !safeKey(key) {
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
