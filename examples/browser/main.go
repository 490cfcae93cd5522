// Command browser signs a user in with InteractiveBrowserCredential: it opens
// the sign-in page in the system browser, and the page hands the result to
// the credential's server on http://localhost. Where no browser opens (SSH,
// containers) the credential fails at once, saying so; with -print-url it
// prints the URL to stderr and waits instead: forward the redirect port
// (-redirect-url http://localhost:8400 and ssh -L 8400:localhost:8400) and
// open the URL on your machine.
//
//	go run ./examples/browser -offline                  # entratest's stand-in browser signs in
//	go run ./examples/browser -offline -browser=system  # you sign in, in your browser
//	go run ./examples/browser -tenant contoso.com       # Microsoft Entra ID
//	go run ./examples/browser -print-url -redirect-url http://localhost:8400   # over SSH
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/examples/internal/offline"
)

func main() {
	flags := offline.Register(flag.CommandLine)
	browser := flag.String("browser", "stand-in", `with -offline: "stand-in" (entratest's scripted browser signs in) or "system" (you sign in in your browser)`)
	redirectURL := flag.String("redirect-url", "", `redirect URI registered for the application, with an optional fixed port: "http://localhost:8400" (default "http://localhost" on a random port)`)
	loginHint := flag.String("login-hint", "", "username to suggest on the sign-in page")
	printURL := flag.Bool("print-url", false, "where no browser can be opened, print the sign-in URL and wait (with -redirect-url and SSH port forwarding)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("browser: ")
	if *browser != "stand-in" && *browser != "system" {
		log.Fatalf(`-browser=%q: want "stand-in" or "system"`, *browser)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, flags, *browser == "system", *redirectURL, *loginHint, *printURL)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, flags *offline.Flags, systemBrowser bool, redirectURL, loginHint string, printURL bool) error {
	env, err := flags.Env()
	if err != nil {
		return err
	}
	defer env.Close()

	opts := &azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions:            env.ClientOptions,
		TenantID:                 env.TenantID,
		ClientID:                 env.ClientID,
		DisableInstanceDiscovery: env.DisableInstanceDiscovery,
		RedirectURL:              redirectURL,
		LoginHint:                loginHint,
		PrintURLIfNoBrowser:      printURL,
		// OpenURL unset: the system browser; where none opens, an error
		// (or, with PrintURLIfNoBrowser, the URL on stderr).
	}
	if env.Server != nil {
		if systemBrowser {
			env.SignInHint(os.Stderr)
		} else {
			// entratest's stand-in browser loads the page, signs in and posts
			// the result to the credential's redirect server, as a person would.
			opts.OpenURL = env.Server.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
			fmt.Fprintf(os.Stderr, "(entratest's stand-in browser signs in as %s; -browser=system lets you do it)\n", env.User)
		}
	}
	cred, err := azinteractive.NewInteractiveBrowserCredential(opts)
	if err != nil {
		return err
	}

	record, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: env.Scopes})
	if err != nil {
		return err
	}
	fmt.Printf("Signed in as %s. AuthenticationRecord:\n", record.Username)
	offline.PrintJSON(os.Stdout, "", record)

	// The sign-in above serves GetToken: no second browser window.
	tk, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: env.Scopes})
	if err != nil {
		return err
	}
	fmt.Printf("\nAccess token for %s, valid until %s. Its claims:\n", env.Scopes[0], tk.ExpiresOn.Local().Format("15:04:05"))
	offline.ShowClaims(os.Stdout, "  ", tk.Token)
	return nil
}
