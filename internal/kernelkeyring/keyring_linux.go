//go:build linux

package kernelkeyring

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// keyType is azidentity/cache's: a key with an arbitrary payload, readable.
const keyType = "user"

// ErrNoKey: the keyring holds no live key of that name, as after a reboot.
var ErrNoKey = errors.New("the kernel keyring holds no token cache key of that name")

// RefusedError reports that keyctl and add_key fail with EPERM, EACCES or
// ENOSYS here, as in containers and kernels built without CONFIG_KEYS.
type RefusedError struct {
	Op  string // the refused operation, such as "get the user keyring"
	Err error  // the system call's error
}

// Error says the keyring is refused here, and why that is common.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("this process may not use the Linux kernel keyring (can't %s: %v); "+
		"containers often forbid its system calls, keyctl and add_key (Docker's default seccomp profile does)", e.Op, e.Err)
}

// Unwrap returns Err.
func (e *RefusedError) Unwrap() error { return e.Err }

// refused wraps err as a *RefusedError when it means the keyring is forbidden.
func refused(op string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOSYS) {
		return &RefusedError{Op: op, Err: err}
	}
	return fmt.Errorf("can't %s in the Linux kernel keyring: %w", op, err)
}

// Keyring is the keyring azidentity/cache keeps its keys in.
type Keyring struct{ id int }

// OpenKeyring returns the keyring azidentity/cache v0.4.0 uses: the user's
// persistent keyring, else the user keyring. Like azidentity/cache, it links
// the session keyring to the user keyring so that this process possesses,
// and may read, the keys there ("Possession" in keyrings(7)).
func OpenKeyring() (Keyring, error) {
	ring, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true)
	if err != nil {
		return Keyring{}, refused("get the user keyring", err)
	}
	if session, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, true); err == nil {
		_, _ = unix.KeyctlInt(unix.KEYCTL_LINK, ring, session, 0, 0)
	}
	if p, err := unix.KeyctlInt(unix.KEYCTL_GET_PERSISTENT, -1, ring, 0, 0); err == nil {
		ring = p
	}
	return Keyring{id: ring}, nil
}

// ID returns the keyring's serial number.
func (r Keyring) ID() int { return r.id }

// Key is a token cache key; fmt never shows its bytes.
type Key struct {
	id     int
	secret []byte
}

// ID returns the key's serial number, the kid of the files it encrypts.
func (k Key) ID() int { return k.id }

// KID returns the key's serial number as a JWE header's kid.
func (k Key) KID() string { return strconv.Itoa(k.id) }

// String names the key without its bytes.
func (k Key) String() string { return "kernel key " + k.KID() }

// Format keeps the key's bytes out of every fmt verb (%v, %+v, %#v, %x).
func (k Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// Seal encrypts plaintext with the key, as azidentity/cache does.
func (k Key) Seal(plaintext []byte) ([]byte, error) { return Seal(k.secret, k.KID(), plaintext) }

// Open decrypts what Seal, or azidentity/cache with this key, wrote.
func (k Key) Open(jwe []byte) ([]byte, error) { return Open(k.secret, jwe) }

// Find returns the key named description. Its error wraps ErrNoKey when
// there is no live one.
func (r Keyring) Find(description string) (Key, error) {
	id, err := unix.KeyctlSearch(r.id, keyType, description, 0)
	op := "search for the token cache key"
	// One byte more than the key: azidentity/cache stores a NUL after it.
	buf := make([]byte, KeySize+1)
	n := 0
	if err == nil {
		op = "read the token cache key"
		n, err = unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	}
	if missing(err) {
		return Key{}, fmt.Errorf("%w (%s)", ErrNoKey, description)
	} else if err != nil {
		return Key{}, refused(op, err)
	}
	if n < KeySize {
		// Something else under this name can't open the file either; a new
		// key replaces it at the next write.
		clear(buf)
		return Key{}, fmt.Errorf("%w (%s holds %d bytes, not a %d-byte key)", ErrNoKey, description, n, KeySize)
	}
	return Key{id: id, secret: buf[:KeySize:KeySize]}, nil
}

// Create stores a new random key named description, replacing any key of
// that name in place, and returns it. Callers serialize Create with the
// cache's lock file: a key replaced under another writer loses its file.
func (r Keyring) Create(description string) (Key, error) {
	payload := make([]byte, KeySize+1)  // the last byte stays NUL, as azidentity/cache expects
	_, _ = rand.Read(payload[:KeySize]) // never fails
	id, err := unix.AddKey(keyType, description, payload, r.id)
	if err != nil {
		clear(payload)
		return Key{}, refused("store the token cache key", err)
	}
	return Key{id: id, secret: payload[:KeySize:KeySize]}, nil
}

// Remove unlinks the key named description, if any; the kernel destroys it.
func (r Keyring) Remove(description string) error {
	id, err := unix.KeyctlSearch(r.id, keyType, description, 0)
	if missing(err) {
		return nil
	}
	if err != nil {
		return refused("search for the token cache key", err)
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, r.id, 0, 0); err != nil && !missing(err) {
		return refused("remove the token cache key", err)
	}
	return nil
}

// missing reports the errors azidentity/cache, too, takes for "no key".
func missing(err error) bool {
	return errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYEXPIRED) ||
		errors.Is(err, unix.EKEYREVOKED) || errors.Is(err, unix.ENOENT)
}

// Probe reports whether this process can keep a key in the kernel keyring by
// storing, reading and removing one. Its error is a *RefusedError when the
// keyring is forbidden here.
func Probe() error {
	r, err := OpenKeyring()
	if err != nil {
		return err
	}
	desc := "azinteractive-probe-" + rand.Text()
	k, err := r.Create(desc)
	if err != nil {
		return err
	}
	defer r.Remove(desc)
	got, err := r.Find(desc)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got.secret, k.secret) != 1 {
		return errors.New("the Linux kernel keyring returned a different key than was stored in it; " +
			"is another program replacing keys in the user keyring?")
	}
	return nil
}
