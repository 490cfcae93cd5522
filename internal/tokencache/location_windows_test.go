package tokencache

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// TestDefaultDirIsWhereMicrosoftsLibrariesLook: Python's azure-identity
// takes the directory from the LOCALAPPDATA variable, Go's azidentity/cache
// and .NET from the LocalAppData known folder; both name .IdentityService
// in it.
func TestDefaultDirIsWhereMicrosoftsLibrariesLook(t *testing.T) {
	got, err := DefaultDir()
	require.NoError(t, err)
	require.NotEmpty(t, os.Getenv("LOCALAPPDATA"))
	assert.Equal(t, filepath.Join(os.Getenv("LOCALAPPDATA"), ".IdentityService"), got)
	known, err := windows.KnownFolderPath(windows.FOLDERID_LocalAppData, 0)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(known, ".IdentityService"), got)
}
