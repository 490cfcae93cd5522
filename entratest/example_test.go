package entratest_test

import (
	"context"
	"fmt"
	"log"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/azinteractive/azinteractive/entratest"
)

// Example signs in with the device code flow, approving the code as the user.
func Example() {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	ctx := context.Background()

	client, err := public.New(entratest.DefaultClientID,
		public.WithAuthority(srv.URL()+"/organizations"),
		public.WithHTTPClient(srv.Client()),
	)
	if err != nil {
		log.Fatal(err)
	}
	dc, err := client.AcquireTokenByDeviceCode(ctx, []string{"https://management.azure.com/.default"})
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.ApproveDeviceCode(dc.Result.UserCode, entratest.DefaultUsername); err != nil {
		log.Fatal(err)
	}
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		log.Fatal(err)
	}
	claims, err := srv.VerifyAccessToken(res.AccessToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Account.PreferredUsername)
	fmt.Println(claims["aud"], claims["scp"])
	// Output:
	// alice@contoso.com
	// https://management.azure.com user_impersonation
}

// ExampleServer_Browser signs in interactively: MSAL opens the stand-in browser, which
// signs in and posts the response to MSAL's loopback server.
func ExampleServer_Browser() {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	ctx := context.Background()

	client, err := public.New(entratest.DefaultClientID,
		public.WithAuthority("https://login.microsoftonline.com/"+entratest.DefaultTenantID),
		public.WithHTTPClient(srv.Client()), // routes login.microsoftonline.com to srv
	)
	if err != nil {
		log.Fatal(err)
	}
	browser := srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
	res, err := client.AcquireTokenInteractive(ctx, []string{"User.Read"},
		public.WithOpenURL(func(u string) error { return browser(ctx, u) }),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.IDToken.Issuer)
	// Output:
	// https://login.microsoftonline.com/6e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b/v2.0
}
