//go:build darwin && cgo

package tokencache

import (
	"context"

	"github.com/AzureAD/microsoft-authentication-extensions-for-go/cache/accessor"
)

const (
	encryptedStore  = "macOS Keychain"
	encryptedRemedy = "run in a logged-in session whose login keychain is unlocked (an SSH session may not reach it)"
)

// openEncrypted: see openKeychain.
func openEncrypted(ctx context.Context, loc Location) (func(bool, func(string)) (Storage, error), error) {
	if err := probeKeychain(ctx, macKeychain{}); err != nil {
		return nil, err
	}
	return func(cae bool, warn func(string)) (Storage, error) {
		return openKeychain(macKeychain{}, loc, cae, warn), nil
	}, nil
}

// macKeychain is the login Keychain, through MSAL's accessor (cgo, Security
// framework). An accessor.Storage is one item: a service and an account.
type macKeychain struct{}

func (macKeychain) read(ctx context.Context, service, account string) ([]byte, error) {
	s, err := accessor.New(service, accessor.WithAccount(account))
	if err != nil {
		return nil, err
	}
	return s.Read(ctx)
}

func (macKeychain) write(ctx context.Context, service, account string, data []byte) error {
	s, err := accessor.New(service, accessor.WithAccount(account))
	if err != nil {
		return err
	}
	return s.Write(ctx, data)
}

func (macKeychain) delete(ctx context.Context, service, account string) error {
	s, err := accessor.New(service, accessor.WithAccount(account))
	if err != nil {
		return err
	}
	return s.Delete(ctx)
}

// openAzidentity is azidentity/cache's store on macOS: Keychain items with
// the account this module uses and the service <name> (non-CAE) or
// <name>.cae. The CAE item is this module's own, so only the non-CAE one is
// another store.
func openAzidentity(loc Location, cae bool, _ func(string)) reader {
	if cae {
		return nil
	}
	return azidentityKeychain(macKeychain{}, loc)
}
