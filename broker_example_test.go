package azinteractive_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azinteractive/azinteractive"
)

// Sign in through the Linux identity broker (microsoft-identity-broker) when
// one runs on the session bus, as Conditional Access on managed devices
// requires, and through the browser otherwise. (Not run: it needs a broker,
// or brokertest.New on a private bus as examples/broker sets up.)
func ExampleBrokerOptions() {
	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		Broker: &azinteractive.BrokerOptions{
			// No prompt when the device's account can get the token.
			UseDefaultBrokerAccount: true,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	tk, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	var unavailable *azinteractive.CredentialUnavailableError
	switch {
	case errors.As(err, &unavailable):
		log.Fatal("no broker (RequireBroker): ", err)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("token valid until", tk.ExpiresOn)
}
