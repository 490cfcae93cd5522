// Command devicecode signs a user in with DeviceCodeCredential: it prints a
// code, and the user enters it at a web page on any device. It suits SSH
// sessions and containers, where no browser can open.
//
//	go run ./examples/devicecode -offline              # entratest approves the code
//	go run ./examples/devicecode -offline -wait        # you sign in at the printed page
//	go run ./examples/devicecode -tenant contoso.com   # Microsoft Entra ID
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
	"github.com/azinteractive/azinteractive/examples/internal/offline"
)

func main() {
	flags := offline.Register(flag.CommandLine)
	wait := flag.Bool("wait", false, "with -offline: sign in yourself at the printed page instead of entratest approving the code")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("devicecode: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, flags, *wait)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, flags *offline.Flags, wait bool) error {
	env, err := flags.Env()
	if err != nil {
		return err
	}
	defer env.Close()

	opts := &azinteractive.DeviceCodeCredentialOptions{
		ClientOptions:            env.ClientOptions,
		TenantID:                 env.TenantID,
		ClientID:                 env.ClientID,
		DisableInstanceDiscovery: env.DisableInstanceDiscovery,
		// UserPrompt unset: the credential writes the instructions to stderr,
		// with a countdown on a terminal.
	}
	if env.Server != nil {
		if wait {
			env.SignInHint(os.Stderr)
		} else {
			opts.UserPrompt = env.ApprovingPrompt(os.Stderr)
			fmt.Fprintln(os.Stderr, "(-wait lets you sign in yourself)")
		}
	}
	cred, err := azinteractive.NewDeviceCodeCredential(opts)
	if err != nil {
		return err
	}

	// Authenticate signs in and returns the account's record; save it (it
	// holds no secret) and pass it as AuthenticationRecord to a later
	// credential to find the cached tokens.
	record, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: env.Scopes})
	if err != nil {
		return err
	}
	fmt.Printf("Signed in as %s. AuthenticationRecord:\n", record.Username)
	offline.PrintJSON(os.Stdout, "", record)

	// GetToken is what Azure SDK clients call. The sign-in above serves it.
	tk, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: env.Scopes})
	if err != nil {
		return err
	}
	fmt.Printf("\nAccess token for %s, valid until %s. Its claims:\n", env.Scopes[0], tk.ExpiresOn.Local().Format("15:04:05"))
	offline.ShowClaims(os.Stdout, "  ", tk.Token)
	return nil
}
