package tokencache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Location is where a persistent cache lives: for each CAE mode, Dir holds a
// file named Name plus ".nocae" or ".cae" (the data; on macOS, where the
// Keychain holds it, an empty file whose modification time signals changes;
// on Linux desktops, that name plus ".jwe", sealed), and a lock file beside
// it. Python's azure-identity, .NET and Java use the same
// names, so a cache named alike is shared with them.
type Location struct {
	Dir  string
	Name string
	// OwnDir says Dir belongs to caches alone (the default ~/.IdentityService),
	// so a mode that lets other users in is tightened rather than only
	// reported. A directory the application chose may be shared on purpose.
	OwnDir bool
}

// Path returns the file of one CAE mode.
func (l Location) Path(cae bool) string { return filepath.Join(l.Dir, l.modeName(cae)) }

// redeemLock is the lock file of refresh token redemptions, for both modes.
func (l Location) redeemLock() string { return filepath.Join(l.Dir, l.Name+".redeem.lockfile") }

// modeName names a CAE mode's cache: its file, and its key's item on Linux.
func (l Location) modeName(cae bool) string {
	if cae {
		return l.Name + ".cae"
	}
	return l.Name + ".nocae"
}

// DefaultDir returns the directory Microsoft's libraries share:
// %LOCALAPPDATA%\.IdentityService on Windows, ~/.IdentityService elsewhere.
func DefaultDir() (string, error) {
	base, err := os.UserHomeDir()
	if runtime.GOOS == "windows" {
		base, err = os.UserCacheDir() // %LocalAppData%
	}
	if err != nil {
		return "", fmt.Errorf("no directory for the token cache: %w", err)
	}
	return filepath.Join(base, ".IdentityService"), nil
}

// ValidName reports why name can't name a cache, or nil: it becomes a file
// name, so it can't climb out of its directory.
func ValidName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("the cache name is empty")
	case name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00"):
		return fmt.Errorf("the cache name %q is not a file name", name)
	}
	return nil
}
