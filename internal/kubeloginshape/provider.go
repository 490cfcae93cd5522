// Package kubeloginshape is the part of Azure/kubelogin that meets
// azidentity's types (pkg/internal/token), rebuilt in kubelogin's shapes
// with its three user credentials taken from this module, as a consumer
// switching to it would: a test that the switch compiles and that records
// and tokens survive it.
//
// This file, like kubelogin's provider.go and authenticationrecord.go,
// imports azidentity itself. The credential files import this module under
// azidentity's name, the import switch of README's migration section; the
// rest of their code is kubelogin's. Only the persistent cache needs more
// than the switch: see newUserPersistentCache.
//
// Nothing outside this package's tests uses it.
package kubeloginshape

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// CredentialProvider is kubelogin's interface of every credential it offers
// (17 implementations there), declared over azidentity's types.
type CredentialProvider interface {
	GetToken(ctx context.Context, options policy.TokenRequestOptions) (azcore.AccessToken, error)

	Authenticate(ctx context.Context, options *policy.TokenRequestOptions) (azidentity.AuthenticationRecord, error)

	NeedAuthenticate() bool

	Name() string
}

// Login methods, kubelogin's names for its credentials (the three user ones).
const (
	DeviceCodeLogin  = "devicecode"
	InteractiveLogin = "interactive"
	ROPCLogin        = "ropc"
)

// Options are the fields of kubelogin's Options that its user credentials
// read.
type Options struct {
	// LoginMethod is one of DeviceCodeLogin, InteractiveLogin and ROPCLogin.
	LoginMethod string
	// ClientID and TenantID are required, as in kubelogin.
	ClientID string
	TenantID string
	// Username and Password are ROPCLogin's.
	Username string
	Password string
	// LoginHint and RedirectURL are InteractiveLogin's.
	LoginHint   string
	RedirectURL string
	// ServerID is the AKS server application; its scope is what Run asks for.
	ServerID string
	// UsePersistentCache sets a persistent cache on the credential; when
	// the cache can't be made, the credential goes on without one, as in
	// kubelogin.
	UsePersistentCache       bool
	DisableInstanceDiscovery bool
	// Cloud is what kubelogin's GetCloudConfiguration returns; the zero
	// value is the public cloud.
	Cloud cloud.Configuration

	// Test seams, unexported as kubelogin's httpClient is.
	httpClient policy.Transporter
	openURL    func(ctx context.Context, url string) error
}

// NewCredential is kubelogin's NewAzIdentityCredential for the three user
// credentials.
func NewCredential(record azidentity.AuthenticationRecord, o *Options) (CredentialProvider, error) {
	switch o.LoginMethod {
	case DeviceCodeLogin:
		return newDeviceCodeCredential(o, record)
	case InteractiveLogin:
		return newInteractiveBrowserCredential(o, record)
	case ROPCLogin:
		return newUsernamePasswordCredential(o, record)
	}
	return nil, errors.New("unsupported token provider")
}

// Run is kubelogin's execCredentialPlugin.Do without its output: it reads
// the stored record, signs in (and stores the record) only when there is
// none, then gets the token.
func Run(ctx context.Context, o *Options, records CachedRecordProvider) (azcore.AccessToken, error) {
	record, _ := records.Retrieve() // kubelogin logs the error and goes on with an empty record
	cred, err := NewCredential(record, o)
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("failed to create azidentity credential: %w", err)
	}
	opts := policy.TokenRequestOptions{TenantID: o.TenantID, Scopes: []string{o.ServerID + "/.default"}}
	if cred.NeedAuthenticate() && record == (azidentity.AuthenticationRecord{}) {
		record, err = cred.Authenticate(ctx, &opts)
		if err != nil {
			return azcore.AccessToken{}, fmt.Errorf("failed to authenticate: %w", err)
		}
		if err := records.Store(record); err != nil {
			return azcore.AccessToken{}, fmt.Errorf("failed to store record: %w", err)
		}
	}
	tk, err := cred.GetToken(ctx, opts)
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("failed to get token: %w", err)
	}
	return tk, nil
}
