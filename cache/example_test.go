package cache_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
)

// Sign in once; every later run of the program is silent. Each run builds
// its cache and credential as here; RememberAccount keeps the signed-in
// account beside the tokens, so the program needn't save an
// AuthenticationRecord itself.
//
// The example signs in to entratest, a local Entra ID, so that it runs
// offline; against Entra ID, leave out ClientOptions and UserPrompt (the
// user then follows the instructions printed to stderr).
func Example() {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	dir, err := os.MkdirTemp("", "cache-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// run is one run of the program: it reports whether it had to ask the
	// user to sign in.
	run := func() (prompted bool) {
		c, err := cache.New(&cache.Options{
			Name:            "example",
			RememberAccount: true,
			// Only for this example, which runs in CI: omit both to use the
			// system's encrypted storage in ~/.IdentityService.
			Directory:               dir,
			AllowUnencryptedStorage: true,
		})
		if err != nil {
			log.Fatal(err) // says what is missing, such as a keyring
		}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			Cache:         c,
			ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
			UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
				prompted = true
				return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
			},
		})
		if err != nil {
			log.Fatal(err)
		}
		_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{
			Scopes: []string{"https://management.azure.com/.default"},
		})
		if err != nil {
			log.Fatal(err)
		}
		return prompted
	}

	fmt.Println("first run asks the user to sign in:", run())
	fmt.Println("second run asks:", run())
	// Output:
	// first run asks the user to sign in: true
	// second run asks: false
}

// Where no encrypted storage exists (a container, an SSH session without a
// keyring), New says so, and what to do, with an error wrapping
// ErrEncryptionUnavailable.
func ExampleNew_unavailable() {
	_, err := cache.New(&cache.Options{Name: "example"})
	if errors.Is(err, cache.ErrEncryptionUnavailable) {
		// Start a keyring, or decide that a plaintext file (mode 0600) is
		// acceptable here and set AllowUnencryptedStorage.
		fmt.Println("no encrypted storage here")
	}
}
