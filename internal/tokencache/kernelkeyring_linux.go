//go:build linux

package tokencache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/azinteractive/azinteractive/internal/kernelkeyring"
)

// kernelKeyringStore names the kernel keyring storage in messages.
const kernelKeyringStore = "Linux kernel keyring"

// kernelKeyringRemedy says how to let a container use the kernel keyring.
const kernelKeyringRemedy = "run the process where it may call keyctl and add_key " +
	"(in Docker, with a seccomp profile that allows them: docker run --security-opt seccomp=<profile>)"

// kernelKeys keeps a cache's key as Go's azidentity/cache v0.4.0 does on
// Linux, so the two share the cache: a random key in the kernel keyring
// named as the cache file, $XDG_CACHE_HOME/.IdentityService/<name> (~/.cache
// by default). The key is looked up at every read and write, because
// another process may replace it (after a reboot, the first writer creates
// it), and a lookup is two system calls.
type kernelKeys struct {
	ring        kernelkeyring.Keyring
	description string // the key's name: the cache file's name
}

func (k kernelKeys) find(context.Context, string) (sealKey, error) {
	key, err := k.ring.Find(k.description)
	if errors.Is(err, kernelkeyring.ErrNoKey) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return key, nil
}

func (k kernelKeys) create(context.Context) (sealKey, error) { return k.ring.Create(k.description) }

func (kernelKeys) lost() string {
	return "the " + kernelKeyringStore + " no longer holds its key (the kernel keeps keys in memory only, so a reboot loses them)"
}

// kernelKeyringDir is azidentity/cache's directory on Linux.
func kernelKeyringDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no directory for the token cache (set HOME or XDG_CACHE_HOME): %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, ".IdentityService"), nil
}

// keyringProbe is kernelkeyring.Probe, or a refusal in tests.
var keyringProbe = kernelkeyring.Probe

// probeKernelKeyring reports whether this process can keep a key in the
// kernel keyring. Its error is an *UnavailableError.
func probeKernelKeyring() error {
	if err := keyringProbe(); err != nil {
		var r *kernelkeyring.RefusedError
		remedy := ""
		if errors.As(err, &r) {
			remedy = kernelKeyringRemedy
		}
		return &UnavailableError{Store: kernelKeyringStore, Remedy: remedy, Err: err}
	}
	return nil
}

// openKernelKeyring returns the storage of loc's cache in a CAE mode: where
// azidentity/cache keeps it when loc.OwnDir is set, in loc.Dir otherwise.
// azidentity/cache names the non-CAE cache (file and key) without ".nocae".
// check vets the files; warn (maybe nil) is told once when a file outlived
// its key.
func openKernelKeyring(loc Location, cae bool, warn func(string)) (Storage, error) {
	if err := ValidName(loc.Name); err != nil {
		return nil, err
	}
	dir := loc.Dir
	if loc.OwnDir {
		var err error
		if dir, err = kernelKeyringDir(); err != nil {
			return nil, err
		}
	}
	ring, err := kernelkeyring.OpenKeyring()
	if err != nil {
		return nil, &UnavailableError{Store: kernelKeyringStore, Remedy: kernelKeyringRemedy, Err: err}
	}
	desc := loc.Name
	if cae {
		desc += ".cae"
	}
	return newSealedStorage(filepath.Join(dir, desc), loc.OwnDir, kernelKeys{ring, desc}, nil, warn), nil
}

// RefuseKernelKeyring makes the kernel keyring unavailable, as a container's
// seccomp profile does, until restore is called: for tests of what happens
// without any encrypted storage.
func RefuseKernelKeyring() (restore func()) {
	keyringProbe = func() error {
		return &kernelkeyring.RefusedError{Op: "use the keyring", Err: errRefusedForTests}
	}
	return func() { keyringProbe = kernelkeyring.Probe }
}

var errRefusedForTests = errors.New("refused by the test")
