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

// kernelKeyringStorage keeps one CAE mode's cache as Go's azidentity/cache
// v0.4.0 does on Linux, so the two share it: a random key in the kernel
// keyring, under the cache's name, and the cache encrypted with it in
// $XDG_CACHE_HOME/.IdentityService/<name> (~/.cache by default), locked by
// "<file>.lockfile". The file is handled as a plaintext cache's is; the key
// is looked up at every read and write, because another process may replace
// it (after a reboot, the first writer creates it).
type kernelKeyringStorage struct {
	*fileStorage
	ring        kernelkeyring.Keyring
	description string // the key's name: the cache file's name
	warn        func(string)
	warnedNoKey bool
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
	if warn == nil {
		warn = func(string) {}
	}
	desc := loc.Name
	if cae {
		desc += ".cae"
	}
	return &kernelKeyringStorage{
		fileStorage: newFileStorage(filepath.Join(dir, desc), nil, loc.OwnDir),
		ring:        ring,
		description: desc,
		warn:        warn,
	}, nil
}

// Read implements Storage. A file whose key the keyring no longer holds (a
// reboot loses them) reads as empty, as in azidentity/cache, and the next
// write makes a new key; one the key doesn't open is corrupt. Only a keyring
// that can't be searched or read is an error.
func (s *kernelKeyringStorage) Read(context.Context) ([]byte, error) {
	b, err := readPrivate(s.path)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	k, err := s.ring.Find(s.description)
	if errors.Is(err, kernelkeyring.ErrNoKey) {
		if !s.warnedNoKey {
			s.warnedNoKey = true
			s.warn(fmt.Sprintf("the token cache %s can't be decrypted because the %s no longer holds its key "+
				"(the kernel keeps keys in memory only, so a reboot loses them); it is treated as empty and the next sign-in replaces it",
				s.path, kernelKeyringStore))
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("can't read the key of the token cache %s: %w", s.path, err)
	}
	out, err := k.Open(b)
	if err != nil {
		return nil, &corruptError{fmt.Errorf("%s (key %s): %w", s.path, k.KID(), err)}
	}
	return out, nil
}

// Write implements Storage. A missing key is created under the cache's lock,
// so two cooperating writers never replace each other's key.
func (s *kernelKeyringStorage) Write(_ context.Context, data []byte) error {
	k, err := s.ring.Find(s.description)
	if errors.Is(err, kernelkeyring.ErrNoKey) {
		k, err = s.ring.Create(s.description)
	}
	if err != nil {
		return fmt.Errorf("can't get the key of the token cache %s: %w", s.path, err)
	}
	sealed, err := k.Seal(data)
	if err != nil {
		return err
	}
	return replaceFile(s.path, sealed)
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
