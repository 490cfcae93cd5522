// Command usernamepassword signs a user in with UsernamePasswordCredential,
// which sends the password to Microsoft Entra ID. It is deprecated: it can't
// do multifactor authentication, which Azure now requires of most sign-ins.
// Prefer the browser or device code credentials; this example shows what
// the failure looks like when MFA is required.
//
//	go run ./examples/usernamepassword -offline         # entratest's user
//	go run ./examples/usernamepassword -offline -mfa    # a user who needs MFA: the error
//	AZURE_USERNAME=me@contoso.com go run ./examples/usernamepassword -tenant contoso.com
//
// The password comes from AZURE_PASSWORD, or is read from the terminal
// without echo; never from a flag, which other users can see in ps.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"golang.org/x/term"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/examples/internal/offline"
)

func main() {
	flags := offline.Register(flag.CommandLine)
	username := flag.String("username", os.Getenv("AZURE_USERNAME"), "username (default $AZURE_USERNAME; with -offline, entratest's user)")
	mfa := flag.Bool("mfa", false, "with -offline: sign in as a user who must use multifactor authentication, to see the error")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("usernamepassword: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, flags, *username, *mfa)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, flags *offline.Flags, username string, mfa bool) error {
	env, err := flags.Env()
	if err != nil {
		return err
	}
	defer env.Close()

	password := os.Getenv("AZURE_PASSWORD")
	tenantID, clientID := env.TenantID, env.ClientID
	switch {
	case env.Server != nil && mfa:
		username, password = "mfa-user@contoso.com", "mfa-Pa55w0rd-entratest"
		env.Server.AddUser(entratest.User{Username: username, Password: password, MFARequired: true})
	case env.Server != nil:
		username, password = entratest.DefaultUsername, entratest.DefaultPassword
	case username == "":
		return errors.New("no username: set -username or AZURE_USERNAME")
	case password == "":
		if password, err = readPassword(username); err != nil {
			return err
		}
	}
	// Unlike the other credentials', these two are required.
	if tenantID == "" {
		tenantID = "organizations"
	}
	if clientID == "" {
		clientID = entratest.DefaultClientID // the Azure development application
	}

	cred, err := azinteractive.NewUsernamePasswordCredential(tenantID, clientID, username, password,
		//lint:ignore SA1019 this example shows the deprecated credential on purpose
		&azinteractive.UsernamePasswordCredentialOptions{
			ClientOptions:            env.ClientOptions,
			DisableInstanceDiscovery: env.DisableInstanceDiscovery,
		})
	if err != nil {
		return err
	}
	record, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: env.Scopes})
	var failed *azinteractive.AuthenticationFailedError
	if errors.As(err, &failed) && failed.Claims != "" {
		// The service wants more than a password (MFA, a compliant device):
		// the claims challenge says what. An interactive credential can
		// satisfy it; a password can't.
		code := "no AADSTS code"
		if len(failed.ErrorCodes) > 0 {
			code = fmt.Sprintf("AADSTS%d", failed.ErrorCodes[0])
		}
		fmt.Printf("Sign-in refused (%s): %s needs an interactive sign-in.\n", code, username)
		fmt.Println("Use InteractiveBrowserCredential or DeviceCodeCredential, passing the error's Claims in TokenRequestOptions.Claims.")
		return err
	}
	if err != nil {
		return err
	}
	fmt.Printf("Signed in as %s. AuthenticationRecord:\n", record.Username)
	offline.PrintJSON(os.Stdout, "", record)

	tk, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: env.Scopes})
	if err != nil {
		return err
	}
	fmt.Printf("\nAccess token for %s, valid until %s. Its claims:\n", env.Scopes[0], tk.ExpiresOn.Local().Format("15:04:05"))
	offline.ShowClaims(os.Stdout, "  ", tk.Token)
	return nil
}

// readPassword asks for the password on the terminal, without echo.
func readPassword(username string) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("no password: set AZURE_PASSWORD, or run on a terminal to type it")
	}
	fmt.Fprintf(os.Stderr, "Password for %s: ", username)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(b), nil
}
