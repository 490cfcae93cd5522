package brokertest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/brokertest"
)

// ExampleNewSessionBus signs in through the emulated Linux identity broker: a private
// session bus, the broker on it and the credential pointed at it by
// DBUS_SESSION_BUS_ADDRESS. In a test, skip where [brokertest.ErrNoDBusDaemon] is returned
// (install Debian's dbus package), and use t.Setenv rather than os.Setenv. (Not run here:
// it needs dbus-daemon; TestSessionBusServesBroker runs the same steps.)
func ExampleNewSessionBus() {
	bus, err := brokertest.NewSessionBus()
	if errors.Is(err, brokertest.ErrNoDBusDaemon) {
		log.Print("skipping: ", err)
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	defer bus.Close()
	if err := os.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Address()); err != nil {
		log.Fatal(err)
	}

	srv := entratest.NewServer(nil)
	defer srv.Close()
	broker := brokertest.New(srv, bus.Address(), nil)
	defer broker.Close()

	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()},
		Broker:        &azinteractive.BrokerOptions{RequireBroker: true},
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
	fmt.Println(claims["upn"], "signed in through", len(broker.Requests()) > 0)
}
