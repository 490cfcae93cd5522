// Command azidentity starts and exits having imported azidentity and MSAL
// for Go, and nothing else: the twin of importonly/azinteractive, which
// says what the two measure.
package main

import (
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

var _ = azidentity.NewDeviceCodeCredential
var _ = public.New

func main() { os.Exit(0) }
