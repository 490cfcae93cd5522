package cache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/internal/tokencache"
)

// DefaultName is the cache name Microsoft's libraries and developer tools
// share.
const DefaultName = "msal.cache"

// probeTimeout bounds New's storage check: the keyring may ask for an unlock.
const probeTimeout = time.Minute

// ErrEncryptionUnavailable is wrapped by the error of [New] when encrypted
// storage can't be used and [Options.AllowUnencryptedStorage] isn't set.
var ErrEncryptionUnavailable = errors.New("encrypted token storage is unavailable")

// Options configures [New]. The zero value is a cache named "msal.cache" in
// the platform's encrypted storage.
type Options struct {
	// Name isolates the cache from other applications'. Applications with
	// the same Name share tokens, including, on Linux and Windows, Python
	// programs using azure-identity's TokenCachePersistenceOptions.
	// Default: "msal.cache", which Microsoft's developer tools use.
	Name string

	// AllowUnencryptedStorage lets the cache fall back to plaintext files
	// (mode 0600) when encrypted storage is unavailable, instead of making
	// New fail; the cache is still encrypted whenever it can be, except on
	// Linux without a Secret Service when Directory already holds a
	// plaintext cache: that one stays in use, so its sign-in is kept.
	// Whoever reads plaintext tokens can act as the user.
	AllowUnencryptedStorage bool

	// Directory holds the cache's files: the plaintext cache, or the empty
	// files that tell other processes the encrypted one changed, and the
	// lock files. Default: ~/.IdentityService, or
	// %LOCALAPPDATA%\.IdentityService on Windows, as Microsoft's libraries.
	Directory string

	// RememberAccount stores the AuthenticationRecord (no secret) of each
	// sign-in in <Directory>/<Name>.<client ID>.authrecord.json, mode 0600,
	// so that later processes get tokens silently. SignOut deletes it.
	RememberAccount bool
}

// New returns a persistent cache to set as a credential's Cache option. It
// checks that encrypted storage is usable here (which may show a keyring
// unlock prompt); if it isn't, New returns an error wrapping
// [ErrEncryptionUnavailable] that names what is missing, unless
// opts.AllowUnencryptedStorage is set. opts may be nil.
func New(opts *Options) (azinteractive.Cache, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Name = cmp.Or(o.Name, DefaultName)
	if err := tokencache.ValidName(o.Name); err != nil {
		return azinteractive.Cache{}, fmt.Errorf("cache: %w", err)
	}
	loc := tokencache.Location{Dir: o.Directory, Name: o.Name, OwnDir: o.Directory == ""}
	var err error
	if loc.OwnDir {
		loc.Dir, err = tokencache.DefaultDir()
	} else {
		loc.Dir, err = filepath.Abs(loc.Dir)
	}
	if err != nil {
		return azinteractive.Cache{}, fmt.Errorf("cache: %w", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	p, err := tokencache.Encrypted(ctx, loc)
	var ue *tokencache.UnavailableError
	switch {
	case err == nil:
	case !errors.As(err, &ue):
		return azinteractive.Cache{}, fmt.Errorf("cache: %w", err)
	case !o.AllowUnencryptedStorage:
		remedy := ""
		if ue.Remedy != "" {
			remedy = ue.Remedy + ", or "
		}
		return azinteractive.Cache{}, fmt.Errorf("cache: %w: %s: %w. To cache tokens, %sset Options.AllowUnencryptedStorage to keep them unencrypted in %s and %s (mode 0600)",
			ErrEncryptionUnavailable, ue.Store, ue.Err, remedy, loc.Path(false), loc.Path(true))
	default:
		p = tokencache.WithWarning(tokencache.Plaintext(loc), fmt.Sprintf(
			"tokens are cached unencrypted in %s and %s because AllowUnencryptedStorage is set and %v",
			loc.Path(false), loc.Path(true), ue))
	}
	if o.AllowUnencryptedStorage && tokencache.IsFallback(p) && tokencache.HasPlaintext(loc) {
		// Tokens cached unencrypted before (by us or azure-identity) stay there.
		p = tokencache.WithWarning(tokencache.Plaintext(loc), fmt.Sprintf(
			"tokens are cached unencrypted in %s and %s because AllowUnencryptedStorage is set, the Secret Service can't be used and the cache was kept there before",
			loc.Path(false), loc.Path(true)))
	}
	if o.RememberAccount {
		p = tokencache.WithRecords(p, tokencache.FileRecords(loc))
	}
	return p, nil
}
