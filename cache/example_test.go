package cache_test

import (
	"fmt"
	"log"
	"os"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
)

// A credential whose tokens, and whose signed-in user, outlive the process:
// the first run signs the user in, later runs with the same options are
// silent.
func Example() {
	dir, err := os.MkdirTemp("", "cache-example") // omit Directory to share ~/.IdentityService
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	c, err := cache.New(&cache.Options{
		Name:            "example",
		Directory:       dir,
		RememberAccount: true,
		// Only for machines with no keyring (this example runs in CI).
		// Tokens are then kept in plaintext files readable by the user alone.
		AllowUnencryptedStorage: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{Cache: c})
	if err != nil {
		log.Fatal(err)
	}
	_ = cred // cred.GetToken signs in once; cred.SignOut forgets the user
	fmt.Println(c.IsZero())
	// Output: false
}
