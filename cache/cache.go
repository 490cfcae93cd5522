package cache

import (
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

// probeTimeout bounds New's check of encrypted storage. The check is a few
// local calls, but the keyring may ask the user to unlock it, and that takes
// a person.
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
	// when encrypted storage is unavailable, instead of making New fail.
	// It doesn't disable encryption: the cache is encrypted whenever it can
	// be. Plaintext tokens are protected only by file permissions (0600),
	// and whoever reads them can act as the user.
	AllowUnencryptedStorage bool

	// Directory holds the cache's files: the plaintext cache, or the empty
	// files that tell other processes the encrypted one changed, and the
	// lock files. Default: ~/.IdentityService, or
	// %LOCALAPPDATA%\.IdentityService on Windows, where Microsoft's other
	// libraries keep theirs.
	Directory string

	// RememberAccount stores the AuthenticationRecord of each sign-in beside
	// the cache (<Directory>/<Name>.<client ID>.authrecord.json, mode 0600),
	// so that a new process with the same options gets tokens silently
	// without loading a record itself. The record holds the account's
	// username, tenant and IDs, and no secret. A credential's SignOut
	// deletes it.
	RememberAccount bool
}

// New returns a persistent cache to set as a credential's Cache option. It
// checks that encrypted storage is usable here (which may show an unlock
// prompt for the keyring). If it isn't, New returns an error wrapping
// [ErrEncryptionUnavailable] that names what is missing, unless
// opts.AllowUnencryptedStorage is set. opts may be nil.
//
// On Linux the check also reads the cache's CAE part (the one Azure SDK
// clients use) over the connection it opened anyway, and the first token
// request, if it comes within seconds, uses what it read unless another
// process has written the cache since: a new process then reaches its first
// token with one connection to the Secret Service instead of two.
//
// A cache whose files another user could have planted or could change (a
// symbolic link, a file of another user's, a directory others can write)
// is refused when a credential opens it, with an error that says what to
// fix.
func New(opts *Options) (azinteractive.Cache, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if err := tokencache.ValidName(o.Name); err != nil {
		return azinteractive.Cache{}, fmt.Errorf("cache: %w", err)
	}
	loc := tokencache.Location{Dir: o.Directory, Name: o.Name}
	if loc.Dir == "" {
		dir, err := tokencache.DefaultDir()
		if err != nil {
			return azinteractive.Cache{}, fmt.Errorf("cache: %w", err)
		}
		loc.Dir, loc.OwnDir = dir, true
	} else {
		abs, err := filepath.Abs(loc.Dir)
		if err != nil {
			return azinteractive.Cache{}, fmt.Errorf("cache: %w", err)
		}
		loc.Dir = abs
	}

	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	p, err := tokencache.Encrypted(ctx, loc)
	if err != nil {
		var ue *tokencache.UnavailableError
		if !errors.As(err, &ue) {
			return azinteractive.Cache{}, fmt.Errorf("cache: %w", err)
		}
		if !o.AllowUnencryptedStorage {
			return azinteractive.Cache{}, unavailable(ue, loc)
		}
		p = tokencache.WithWarning(tokencache.Plaintext(loc), fmt.Sprintf(
			"tokens are cached unencrypted in %s and %s because AllowUnencryptedStorage is set and %v",
			loc.Path(false), loc.Path(true), ue))
	}
	if o.RememberAccount {
		p = tokencache.WithRecords(p, tokencache.FileRecords(loc))
	}
	return p, nil
}

// unavailable explains to a user why New failed and the two ways out.
func unavailable(ue *tokencache.UnavailableError, loc tokencache.Location) error {
	remedy := ""
	if ue.Remedy != "" {
		remedy = ue.Remedy + ", or "
	}
	return fmt.Errorf("cache: %w: %w. To cache tokens, %sset Options.AllowUnencryptedStorage to keep them unencrypted in %s and %s (mode 0600)",
		ErrEncryptionUnavailable, unwrapped{ue}, remedy, loc.Path(false), loc.Path(true))
}

// unwrapped prints an UnavailableError without repeating what
// ErrEncryptionUnavailable already says, and still unwraps to it.
type unwrapped struct{ ue *tokencache.UnavailableError }

func (u unwrapped) Error() string { return u.ue.Store + ": " + u.ue.Err.Error() }

func (u unwrapped) Unwrap() error { return u.ue }
