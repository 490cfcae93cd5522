package entratest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
)

// Example signs in with a device code credential, the server's user approving the code, and
// checks the token as a resource server would.
func Example() {
	srv := entratest.NewServer(nil)
	defer srv.Close()

	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		// Client trusts the server's certificate; Cloud names it as the authority host.
		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
		UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
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
	fmt.Println(claims["upn"])
	fmt.Println(claims["aud"], claims["scp"])
	// Output:
	// alice@contoso.com
	// https://management.azure.com user_impersonation
}

// An application's own test: the program signs in once, calls its API, "restarts" (a new
// process would build a new cache and credential, as here) and gets its token silently
// from the persistent cache, with no prompt and no request to Entra ID's token endpoint.
func Example_applicationTest() {
	// In a test, t.TempDir(); Directory and AllowUnencryptedStorage keep the test away from
	// the user's keyring and ~/.IdentityService.
	dir, err := os.MkdirTemp("", "entratest-app")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	srv := entratest.NewServer(nil)
	defer srv.Close()
	api := srv.Resource(entratest.ResourceOptions{Audience: "api://orders", Scopes: []string{"read"}})

	prompts := 0
	// app is what the program under test does each time it runs.
	app := func() (status int, err error) {
		c, err := cache.New(&cache.Options{Name: "orders-app", Directory: dir, AllowUnencryptedStorage: true, RememberAccount: true})
		if err != nil {
			return 0, err
		}
		cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
			Cache:         c,
			UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
				prompts++ // the test plays the user
				return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
			},
		})
		if err != nil {
			return 0, err
		}
		tk, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"api://orders/read"}})
		if err != nil {
			return 0, err
		}
		req, err := http.NewRequest(http.MethodGet, api.URL()+"/orders", nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+tk.Token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	for run := 1; run <= 2; run++ {
		before := len(srv.Requests())
		status, err := app()
		if err != nil {
			log.Fatal(err)
		}
		tokenRequests := 0
		for _, r := range srv.Requests()[before:] {
			if r.Endpoint == entratest.EndpointToken {
				tokenRequests++
			}
		}
		fmt.Printf("run %d: API status %d, prompts so far %d, token requests %d\n", run, status, prompts, tokenRequests)
	}
	// Output:
	// run 1: API status 200, prompts so far 1, token requests 1
	// run 2: API status 200, prompts so far 1, token requests 0
}

// ExampleServer_Resource runs Azure Key Vault's client against a stand-in vault: Client
// routes the vault's host to the resource, which checks the tokens and sends Key Vault's
// challenge, so the client needs no option it wouldn't need against a real vault.
func ExampleServer_Resource() {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	vault := srv.Resource(entratest.ResourceOptions{
		Audience: "https://vault.azure.net",
		Scopes:   []string{"user_impersonation"},
		Host:     "contoso.vault.azure.net",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Println("the vault serves", r.URL.Path, "to", entratest.TokenClaims(r)["upn"])
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"value":"s3cret","id":"https://contoso.vault.azure.net/secrets/db/1"}`))
		}),
	})

	cred, err := azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
		UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	client, err := azsecrets.NewClient(vault.URL(), cred, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client()},
	})
	if err != nil {
		log.Fatal(err)
	}
	secret, err := client.GetSecret(context.Background(), "db", "", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*secret.Value)
	for _, r := range vault.Requests() {
		fmt.Println(r.Status, r.Result)
	}
	// Output:
	// the vault serves /secrets/db/ to alice@contoso.com
	// s3cret
	// 401 no token
	// 200 accepted
}

// ExampleServer_Browser signs in interactively: the credential opens the stand-in browser,
// which signs in on the server's pages and posts the response to the credential's loopback
// server.
func ExampleServer_Browser() {
	srv := entratest.NewServer(nil)
	defer srv.Close()

	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		// No Cloud: the credential uses login.microsoftonline.com, which Client routes to srv.
		ClientOptions: azcore.ClientOptions{Transport: srv.Client()},
		OpenURL:       srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword),
	})
	if err != nil {
		log.Fatal(err)
	}
	info, err := cred.GetTokenInfo(context.Background(), policy.TokenRequestOptions{Scopes: []string{"User.Read"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Account.Username, info.Account.Authority)
	// Output:
	// alice@contoso.com https://login.microsoftonline.com
}
