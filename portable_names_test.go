package azinteractive_test

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// windowsReserved matches the device names Windows reserves in every
// directory, with any extension: a file named so can't be checked out, and
// reading "testdata\fuzz\X\nul" reads the NUL device.
var windowsReserved = regexp.MustCompile(`(?i)^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$`)

// TestFileNamesWorkOnWindowsAndMacOS: every file of the module can be
// checked out, and is the same file, on Windows (reserved names, characters
// it forbids, trailing dots and spaces) and on the case-insensitive file
// systems of Windows and macOS (two names differing only in case).
func TestFileNamesWorkOnWindowsAndMacOS(t *testing.T) {
	seen := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != "." && (name == ".git" || name == "screenshots") {
			return fs.SkipDir // not the module's files
		}
		if path == "." {
			return nil
		}
		assert.False(t, windowsReserved.MatchString(name), "%s: a name Windows reserves", path)
		assert.False(t, strings.ContainsAny(name, `<>:"|?*\`) || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }),
			"%s: a character Windows forbids in names", path)
		assert.False(t, strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "), "%s: Windows drops a trailing dot or space", path)
		key := strings.ToLower(filepath.ToSlash(path))
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s differ only in case: one file on Windows and macOS", other, path)
		}
		seen[key] = path
		return nil
	})
	require.NoError(t, err)
	require.Contains(t, seen, "go.mod", "walked the module")
}
