package kubeloginshape

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// CachedRecordProvider is kubelogin's store of the signed-in account's
// record, declared over azidentity's type.
type CachedRecordProvider interface {
	// Retrieve reads the authentication record from the file.
	Retrieve() (azidentity.AuthenticationRecord, error)
	// Store writes the authentication record to the file.
	Store(record azidentity.AuthenticationRecord) error
}

// FileRecordProvider is kubelogin's defaultCachedRecordProvider: the record
// as azidentity's JSON in one file.
type FileRecordProvider struct {
	File string
}

// Retrieve reads the record with encoding/json into azidentity's type.
func (c *FileRecordProvider) Retrieve() (azidentity.AuthenticationRecord, error) {
	record := azidentity.AuthenticationRecord{}
	b, err := os.ReadFile(c.File)
	if err == nil {
		err = json.Unmarshal(b, &record)
	}
	return record, err
}

// Store writes the record with encoding/json, creating its directory.
func (c *FileRecordProvider) Store(record azidentity.AuthenticationRecord) error {
	b, err := json.Marshal(record)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.File), 0o700); err != nil {
		return err
	}
	return os.WriteFile(c.File, b, 0o600)
}
