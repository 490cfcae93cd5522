package tokencache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Suffixes of a cache's two CAE modes. Python's azure-identity, .NET and Java
// name their caches this way, so a cache named alike is shared with them.
const (
	suffixNoCAE = ".nocae"
	suffixCAE   = ".cae"
)

// Location is where a persistent cache lives: for each CAE mode, Dir holds a
// file named Name plus ".nocae" or ".cae" (the data itself, or, when a secret
// store holds the data, an empty file whose modification time tells other
// processes it changed), and a lock file beside it.
type Location struct {
	Dir  string
	Name string
	// OwnDir says Dir belongs to caches alone (the default ~/.IdentityService),
	// so a mode that lets other users in is tightened rather than only
	// reported. A directory the application chose may be shared on purpose.
	OwnDir bool
}

// Path returns the file of one CAE mode.
func (l Location) Path(cae bool) string {
	return filepath.Join(l.Dir, l.schema(cae))
}

// redeemLock is the lock file that serializes refresh token redemptions
// over the cache's two modes, across processes.
func (l Location) redeemLock() string {
	return filepath.Join(l.Dir, l.Name+".redeem.lockfile")
}

// schema is the cache's name in a CAE mode: its file name, and on Linux the
// Secret Service schema under which its data is stored.
func (l Location) schema(cae bool) string {
	if cae {
		return l.Name + suffixCAE
	}
	return l.Name + suffixNoCAE
}

// DefaultDir returns the directory Microsoft's libraries share:
// %LOCALAPPDATA%\.IdentityService on Windows, ~/.IdentityService elsewhere.
func DefaultDir() (string, error) {
	var base string
	var err error
	if runtime.GOOS == "windows" {
		base, err = os.UserCacheDir() // %LocalAppData%
	} else {
		base, err = os.UserHomeDir()
	}
	if err != nil {
		return "", fmt.Errorf("no directory for the token cache: %w", err)
	}
	return filepath.Join(base, ".IdentityService"), nil
}

// ValidName reports why name can't name a cache, or nil. The name becomes a
// file name, so it can't climb out of its directory.
func ValidName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("the cache name is empty")
	case name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00"):
		return fmt.Errorf("the cache name %q is not a file name", name)
	}
	return nil
}
