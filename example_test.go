package azinteractive_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
)

// These examples sign in to entratest, a local Microsoft Entra ID, so that
// they run offline. Against Entra ID, leave out the server and ClientOptions
// (and, usually, the hooks that play the user).

// The user gets a code to enter at a web page on any device: the credential
// for SSH sessions and containers.
func ExampleNewDeviceCodeCredential() {
	srv := entratest.NewServer(nil)
	defer srv.Close()

	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
		// Without UserPrompt the credential writes m.Message, which says
		// where to go and what code to enter, to stderr. Here entratest's
		// user approves the code instead.
		UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			fmt.Println("prompted with a code:", m.UserCode != "")
			return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	tk, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{
		Scopes: []string{"https://management.azure.com/.default"},
	})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := srv.VerifyAccessToken(tk.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims["upn"], claims["aud"])
	// Output:
	// prompted with a code: true
	// alice@contoso.com https://management.azure.com
}

// The credential opens the sign-in page in the system browser and receives
// the result on its own http://localhost server. OpenURL replaces the
// browser: here with entratest's stand-in, which signs in as its user.
func ExampleNewInteractiveBrowserCredential() {
	srv := entratest.NewServer(nil)
	defer srv.Close()

	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
		OpenURL:       srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword),
	})
	if err != nil {
		log.Fatal(err)
	}
	tk, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{
		Scopes: []string{"https://vault.azure.net/.default"},
	})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := srv.VerifyAccessToken(tk.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims["upn"], claims["aud"], claims["scp"])
	// Output:
	// alice@contoso.com https://vault.azure.net user_impersonation
}

// A password sign-in, for legacy automation only: it fails for accounts
// that need multifactor authentication.
func ExampleNewUsernamePasswordCredential() {
	srv := entratest.NewServer(nil)
	defer srv.Close()

	cred, err := azinteractive.NewUsernamePasswordCredential(
		entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultUsername, entratest.DefaultPassword,
		&azinteractive.UsernamePasswordCredentialOptions{
			ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
		})
	if err != nil {
		log.Fatal(err)
	}
	info, err := cred.GetTokenInfo(context.Background(), policy.TokenRequestOptions{
		Scopes: []string{"https://management.azure.com/.default"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Account.Username, info.TokenType)
	// Output:
	// alice@contoso.com Bearer
}

// Authenticate signs in and returns the account's record, which holds no
// secret. Saved, and passed to a later credential with the same persistent
// cache, it finds the account's tokens: no prompt.
func ExampleDeviceCodeCredential_Authenticate() {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	dir, err := os.MkdirTemp("", "example-authenticate")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	newCache := func() azinteractive.Cache {
		// AllowUnencryptedStorage and Directory: this example runs in CI,
		// where there may be no keyring.
		c, err := cache.New(&cache.Options{Name: "example-authenticate", Directory: dir, AllowUnencryptedStorage: true})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	// No Cloud: the credential uses login.microsoftonline.com, which
	// srv.Client sends to srv.
	clientOptions := azcore.ClientOptions{Transport: srv.Client()}
	ctx := context.Background()

	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions,
		Cache:         newCache(),
		UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	record, err := cred.Authenticate(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	saved, err := json.Marshal(record) // write it to a file, say
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(saved))

	// Later, perhaps in another process.
	var loaded azinteractive.AuthenticationRecord
	if err := json.Unmarshal(saved, &loaded); err != nil {
		log.Fatal(err)
	}
	later, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions:                  clientOptions,
		Cache:                          newCache(),
		AuthenticationRecord:           loaded,
		DisableAutomaticAuthentication: true, // fail rather than prompt
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = later.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	fmt.Println("silent:", err == nil)
	if err := later.SignOut(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// {"authority":"https://login.microsoftonline.com","clientId":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","homeAccountId":"a11ce000-0000-4000-8000-000000000001.6e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b","tenantId":"6e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b","username":"alice@contoso.com","version":"1.0"}
	// silent: true
}

// A persistent cache that remembers the account signs the user in once:
// every later credential built with the same options, in this process or
// another, is silent, until SignOut.
func Example_persistentCache() {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	dir, err := os.MkdirTemp("", "example-persistent")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	scopes := policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}}

	// newCredential is what each run of a program does.
	newCredential := func() *azinteractive.DeviceCodeCredential {
		c, err := cache.New(&cache.Options{
			Name:            "example-persistent",
			RememberAccount: true,
			// Only for this example, which runs in CI: omit both to use
			// the system's encrypted storage in ~/.IdentityService.
			Directory:               dir,
			AllowUnencryptedStorage: true,
		})
		if err != nil {
			log.Fatal(err)
		}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
			Cache:         c,
			// GetToken fails with AuthenticationRequiredError instead of
			// prompting; the program calls Authenticate when it suits it.
			DisableAutomaticAuthentication: true,
			UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
				return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
			},
		})
		if err != nil {
			log.Fatal(err)
		}
		return cred
	}
	signInRequired := func(cred *azinteractive.DeviceCodeCredential) bool {
		_, err := cred.GetToken(ctx, scopes)
		var required *azinteractive.AuthenticationRequiredError
		if err != nil && !errors.As(err, &required) {
			log.Fatal(err)
		}
		return err != nil
	}

	first := newCredential()
	fmt.Println("first run, sign-in required:", signInRequired(first))
	record, err := first.Authenticate(ctx, &scopes)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in as", record.Username)

	second := newCredential()
	fmt.Println("second run, sign-in required:", signInRequired(second))
	if err := second.SignOut(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after sign-out, sign-in required:", signInRequired(newCredential()))
	// Output:
	// first run, sign-in required: true
	// signed in as alice@contoso.com
	// second run, sign-in required: false
	// after sign-out, sign-in required: true
}

// Code that takes an azcore.TokenCredential can be tested against entratest:
// add the users a test needs, play them, and check the requests. Here a user
// who must use multifactor authentication can't sign in with a password, and
// the error's claims challenge gets a device code sign-in that satisfies it.
func Example_entratest() {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	srv.AddUser(entratest.User{Username: "bob@contoso.com", Password: "bob-Pa55w0rd-example", MFARequired: true})
	clientOptions := azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()}
	ctx := context.Background()
	scopes := []string{"https://management.azure.com/.default"}

	password, err := azinteractive.NewUsernamePasswordCredential(
		entratest.DefaultTenantID, entratest.DefaultClientID, "bob@contoso.com", "bob-Pa55w0rd-example",
		&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions})
	if err != nil {
		log.Fatal(err)
	}
	_, err = password.GetToken(ctx, policy.TokenRequestOptions{Scopes: scopes})
	var failed *azinteractive.AuthenticationFailedError
	if !errors.As(err, &failed) {
		log.Fatal("want an AuthenticationFailedError, got ", err)
	}
	fmt.Println("password:", failed.ErrorCodes, "claims challenge:", failed.Claims != "")

	device, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: clientOptions,
		UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			return srv.ApproveDeviceCode(m.UserCode, "bob@contoso.com") // with the second factor
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	tk, err := device.GetToken(ctx, policy.TokenRequestOptions{Scopes: scopes, Claims: failed.Claims})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := srv.VerifyAccessToken(tk.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("device code:", claims["upn"], claims["amr"])

	for _, r := range srv.Requests() {
		if r.Endpoint == entratest.EndpointToken {
			fmt.Println("token request:", r.GrantType, r.Status)
		}
	}
	// Output:
	// password: [50076] claims challenge: true
	// device code: bob@contoso.com [pwd mfa]
	// token request: password 400
	// token request: device_code 200
}

// Moving from azidentity: this module's three credentials replace
// azidentity's user credentials; everything else (chains, developer tools,
// managed identity, service principals) still comes from azidentity, and
// they mix freely. README.md's migration section shows this code
// (TestDocSnippets keeps the two the same).
func Example_migration() {
	// snippet: migration
	const tenantID = "contoso.onmicrosoft.com"
	cli, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: tenantID})
	if err != nil {
		log.Fatal(err)
	}
	browser, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{TenantID: tenantID})
	if err != nil {
		log.Fatal(err)
	}
	device, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{TenantID: tenantID})
	if err != nil {
		log.Fatal(err)
	}
	// The Azure CLI's sign-in if there is one, else a browser, else (no
	// display, an SSH session) a device code.
	cred, err := azidentity.NewChainedTokenCredential([]azcore.TokenCredential{cli, browser, device}, nil)
	if err != nil {
		log.Fatal(err)
	}
	client, err := azsecrets.NewClient("https://contoso.vault.azure.net/", cred, nil)
	// end snippet
	if err != nil {
		log.Fatal(err)
	}
	_ = client
}

// The complete program of the package documentation (TestDocSnippets keeps
// the two the same): the first run asks the user to sign in, later runs are
// silent.
func Example_completeProgram() {
	// snippet: complete program
	c, err := cache.New(&cache.Options{RememberAccount: true})
	if err != nil {
		log.Fatal(err) // no keyring here: err says what to do
	}
	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{Cache: c})
	if err != nil {
		log.Fatal(err)
	}
	// The first run prints a code to enter at a web page, and the cache
	// remembers the account; later runs are silent, until cred.SignOut.
	tk, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{
		Scopes: []string{"https://management.azure.com/.default"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token expires at", tk.ExpiresOn)
	// end snippet
}
