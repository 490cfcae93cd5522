// Command persistent keeps the user signed in across runs: its credential
// stores tokens in a persistent cache (the system keyring, Keychain or
// DPAPI) that remembers the account, so the first run signs in and later
// runs are silent, until -signout.
//
//	go run ./examples/persistent             # first run: signs in; later runs: silent
//	go run ./examples/persistent -signout    # forget the account and its tokens
//	go run ./examples/persistent -offline    # all of it in one run, against entratest
//
// On a machine without a keyring (a container, an SSH session without
// D-Bus) the cache can't be encrypted; -allow-unencrypted then keeps it in a
// plaintext file that only you can read.
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

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/examples/internal/offline"
)

func main() {
	flags := offline.Register(flag.CommandLine)
	signOut := flag.Bool("signout", false, "sign out: delete the account's tokens and the remembered account")
	allowUnencrypted := flag.Bool("allow-unencrypted", false, "without a keyring, keep the cache in a plaintext file (mode 0600)")
	name := flag.String("name", "azinteractive-example", "cache name; applications with the same name share tokens")
	dir := flag.String("directory", "", "directory of the cache's files (default ~/.IdentityService)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("persistent: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, flags, cache.Options{
		Name:                    *name,
		Directory:               *dir,
		AllowUnencryptedStorage: *allowUnencrypted,
		RememberAccount:         true,
	}, *signOut)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, flags *offline.Flags, cacheOpts cache.Options, signOut bool) error {
	env, err := flags.Env()
	if err != nil {
		return err
	}
	defer env.Close()
	if env.Server == nil {
		return session(ctx, env, cacheOpts, signOut)
	}

	// Offline, entratest lives only as long as this process, so the runs a
	// person would make one after another happen here, each with a new
	// cache and credential, as a new process would have. The cache goes to a
	// temporary directory, so that no test token reaches ~/.IdentityService.
	dir, err := os.MkdirTemp("", "azinteractive-persistent")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cacheOpts = cache.Options{Name: "azinteractive-example-offline", Directory: dir, RememberAccount: true, AllowUnencryptedStorage: true}
	for i, step := range []struct {
		cmd     string
		signOut bool
	}{
		{"go run ./examples/persistent", false},
		{"go run ./examples/persistent", false},
		{"go run ./examples/persistent -signout", true},
		{"go run ./examples/persistent", false},
	} {
		fmt.Printf("\n$ %s   # run %d\n", step.cmd, i+1)
		before := offline.TokenRequests(env.Server)
		if err := session(ctx, env, cacheOpts, step.signOut); err != nil {
			return err
		}
		if !step.signOut {
			fmt.Printf("(requests to entratest's token endpoint: %d)\n", offline.TokenRequests(env.Server)-before)
		}
	}
	return nil
}

// session is one run of the program.
func session(ctx context.Context, env *offline.Env, cacheOpts cache.Options, signOut bool) error {
	c, err := cache.New(&cacheOpts)
	if errors.Is(err, cache.ErrEncryptionUnavailable) {
		return fmt.Errorf("%w\nRun with -allow-unencrypted to keep the cache in a plaintext file only you can read", err)
	}
	if err != nil {
		return err
	}
	opts := &azinteractive.DeviceCodeCredentialOptions{
		ClientOptions:            env.ClientOptions,
		TenantID:                 env.TenantID,
		ClientID:                 env.ClientID,
		DisableInstanceDiscovery: env.DisableInstanceDiscovery,
		Cache:                    c,
		// Don't prompt from GetToken: this program decides when to sign in.
		DisableAutomaticAuthentication: true,
	}
	if env.Server != nil {
		opts.UserPrompt = env.ApprovingPrompt(os.Stdout)
	}
	cred, err := azinteractive.NewDeviceCodeCredential(opts)
	if err != nil {
		return err
	}
	if signOut {
		if err := cred.SignOut(ctx); err != nil {
			return err
		}
		fmt.Println("Signed out: the cache no longer holds the account or its tokens.")
		return nil
	}

	tro := policy.TokenRequestOptions{Scopes: env.Scopes}
	info, err := cred.GetTokenInfo(ctx, tro)
	var required *azinteractive.AuthenticationRequiredError
	switch {
	case errors.As(err, &required):
		fmt.Println("No remembered account: signing in.")
		record, err := cred.Authenticate(ctx, &required.TokenRequestOptions)
		if err != nil {
			return err
		}
		fmt.Printf("Signed in as %s. The next run will be silent.\n", record.Username)
	case err != nil:
		return err
	default:
		fmt.Printf("Signed in silently as %s: the cache remembered the account. Its token is valid until %s.\n",
			info.Account.Username, info.ExpiresOn.Local().Format("15:04:05"))
	}
	return nil
}
