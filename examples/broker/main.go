// Command broker signs a user in through the operating system's identity
// broker: on Linux, Microsoft's microsoft-identity-broker (installed with
// Intune Company Portal), which devices managed by Intune need for
// Conditional Access that requires a compliant device. Where there is no
// broker (no broker on the D-Bus session bus, Windows, macOS) the credential
// signs in through the browser instead, or fails with -require-broker.
//
//	go run ./examples/broker -offline                   # entratest's emulated broker, on a private D-Bus bus
//	go run ./examples/broker -offline -default-account  # silently, as the device's account
//	go run ./examples/broker                            # the identity broker of this Linux machine
//	go run ./examples/broker -require-broker            # fail instead of opening a browser
//
// Against Microsoft Entra ID the application registration must allow the
// broker's redirect URI, ms-appx-web://Microsoft.AAD.BrokerPlugin/<client ID>.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/brokertest"
	"github.com/azinteractive/azinteractive/examples/internal/offline"
)

func main() {
	flags := offline.Register(flag.CommandLine)
	var bo azinteractive.BrokerOptions
	flag.BoolVar(&bo.UseDefaultBrokerAccount, "default-account", false, "sign in silently as the account the device is signed in with, before any prompt")
	flag.BoolVar(&bo.RequireBroker, "require-broker", false, "fail (CredentialUnavailableError) instead of signing in through the browser when there is no broker")
	flag.BoolVar(&bo.EnableMSAPassthrough, "msa-passthrough", false, "let personal Microsoft accounts sign in (first-party applications only)")
	signOut := flag.Bool("signout", false, "sign out at the end: the broker forgets the account")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("broker: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, flags, bo, *signOut)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, flags *offline.Flags, bo azinteractive.BrokerOptions, signOut bool) error {
	env, err := flags.Env()
	if err != nil {
		return err
	}
	defer env.Close()

	// The credential's log says whether it used the broker, and why not.
	azlog.SetListener(func(_ azlog.Event, msg string) { fmt.Fprintln(os.Stderr, "  log:", msg) })
	azlog.SetEvents(azinteractive.EventAuthentication)

	opts := &azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions:            env.ClientOptions,
		TenantID:                 env.TenantID,
		ClientID:                 env.ClientID,
		DisableInstanceDiscovery: env.DisableInstanceDiscovery,
		Broker:                   &bo,
	}
	var emulated *brokertest.Broker
	if env.Server != nil {
		var stopBroker func()
		emulated, stopBroker, err = startEmulatedBroker(env, bo.UseDefaultBrokerAccount)
		if err != nil {
			return err
		}
		defer stopBroker()
		// Should the credential fall back to the browser, entratest's stand-in
		// browser signs in.
		opts.OpenURL = env.Server.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
	}
	cred, err := azinteractive.NewInteractiveBrowserCredential(opts)
	if err != nil {
		return err
	}

	record, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: env.Scopes})
	var unavailable *azinteractive.CredentialUnavailableError
	if errors.As(err, &unavailable) {
		return fmt.Errorf("%w\n(without -require-broker the credential signs in through the browser instead)", err)
	}
	if err != nil {
		return err
	}
	fmt.Printf("Signed in as %s. AuthenticationRecord:\n", record.Username)
	offline.PrintJSON(os.Stdout, "", record)

	info, err := cred.GetTokenInfo(ctx, policy.TokenRequestOptions{Scopes: env.Scopes})
	if err != nil {
		return err
	}
	fmt.Printf("\n%s token for %s, valid until %s. Its claims:\n", info.TokenType, env.Scopes[0], info.ExpiresOn.Local().Format("15:04:05"))
	offline.ShowClaims(os.Stdout, "  ", info.Token)

	if emulated != nil {
		var calls []string
		for _, r := range emulated.Requests() {
			calls = append(calls, r.Method)
		}
		fmt.Printf("\nThe emulated broker received: %s\n", strings.Join(calls, ", "))
		fmt.Printf("Requests that reached entratest's HTTPS endpoints from this program: %d\n", len(env.Server.Requests()))
	}
	if signOut {
		if err := cred.SignOut(ctx); err != nil {
			return err
		}
		fmt.Println("\nSigned out.")
	}
	return nil
}

// startEmulatedBroker serves entratest's broker on a private D-Bus bus and
// points this process's session bus at it, where the credential looks for the
// broker. Without dbus-daemon it says so and returns no broker: the credential
// then falls back to the browser, which is worth seeing too.
func startEmulatedBroker(env *offline.Env, deviceAccount bool) (*brokertest.Broker, func(), error) {
	bus, err := brokertest.NewSessionBus()
	if errors.Is(err, brokertest.ErrNoDBusDaemon) {
		fmt.Fprintf(os.Stderr, "No emulated broker: %v. The credential will fall back to the browser.\n", err)
		return nil, func() {}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	bopts := &brokertest.Options{}
	if deviceAccount {
		bopts.DeviceAccount = entratest.DefaultUsername
	}
	b := brokertest.New(env.Server, bus.Address(), bopts)
	stop := func() { b.Close(); bus.Close() }
	if err := os.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Address()); err != nil {
		stop()
		return nil, nil, err
	}
	fmt.Fprintf(os.Stderr, "entratest's emulated identity broker serves %s on a private D-Bus bus; its user signs in as %s.\n",
		brokertest.BusName, entratest.DefaultUsername)
	return b, stop, nil
}
