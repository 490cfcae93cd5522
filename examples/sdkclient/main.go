// Command sdkclient uses a credential the way every Azure SDK for Go client
// does: an azcore pipeline whose BearerTokenPolicy asks the credential for
// tokens, caches them, refreshes them, and answers continuous access
// evaluation (CAE) challenges. Its client lists the Azure subscriptions the
// user can see, like armsubscriptions would.
//
//	go run ./examples/sdkclient -offline             # entratest, and a stand-in for Azure Resource Manager
//	go run ./examples/sdkclient -tenant contoso.com  # Microsoft Entra ID and Azure Resource Manager
//
// Offline it also shows CAE: after entratest revokes the user's sessions, the
// stand-in rejects the old token with a claims challenge, and the pipeline
// gets a new token without asking the user.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/examples/internal/offline"
)

func main() {
	flags := offline.Register(flag.CommandLine)
	endpoint := flag.String("endpoint", "https://management.azure.com", "Azure Resource Manager endpoint (ignored with -offline)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("sdkclient: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, flags, *endpoint)
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, flags *offline.Flags, endpoint string) error {
	env, err := flags.Env()
	if err != nil {
		return err
	}
	defer env.Close()

	var opened atomic.Int32 // times the credential opened a browser
	opts := &azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions:            env.ClientOptions,
		TenantID:                 env.TenantID,
		ClientID:                 env.ClientID,
		DisableInstanceDiscovery: env.DisableInstanceDiscovery,
	}
	var clientOpts *azcore.ClientOptions // the SDK client's own options: nil for Azure
	var arm *httptest.Server
	var challenges *atomic.Int32
	if env.Server != nil {
		arm, challenges = newFakeARM(env.Server)
		defer arm.Close()
		endpoint = arm.URL
		clientOpts = &azcore.ClientOptions{Transport: arm.Client()} // trusts the stand-in's certificate
		browser := env.Server.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
		opts.OpenURL = func(ctx context.Context, u string) error {
			opened.Add(1)
			fmt.Printf("(the credential opened entratest's stand-in browser, which signs in as %s)\n", env.User)
			return browser(ctx, u)
		}
	}
	cred, err := azinteractive.NewInteractiveBrowserCredential(opts)
	if err != nil {
		return err
	}

	client := newSubscriptionsClient(endpoint, cred, clientOpts)
	subs, err := client.List(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%d subscription(s):\n", len(subs))
	for _, s := range subs {
		fmt.Printf("  %s  %s  (%s)\n", s.SubscriptionID, s.DisplayName, s.State)
	}
	if env.Server == nil {
		return nil
	}

	// An administrator revokes the user's sessions. The stand-in, like a
	// CAE-enabled Azure service, now answers the cached token with a claims
	// challenge; BearerTokenPolicy passes it to the credential, which redeems
	// its refresh token with the claims, silently.
	env.Server.RevokeSessions(env.User)
	fmt.Printf("\nentratest revoked %s's sessions (a CAE critical event). Listing again:\n", env.User)
	seen := len(env.Server.Requests())
	subs, err = client.List(ctx)
	if err != nil {
		return err
	}
	var grants []string
	for _, r := range env.Server.Requests()[seen:] {
		if r.Endpoint == entratest.EndpointToken {
			grants = append(grants, r.GrantType)
		}
	}
	fmt.Printf("%d subscription(s). The stand-in sent %d claims challenge(s); the credential got a new token\n"+
		"with grant %v, and the browser opened %d time(s) in all.\n",
		len(subs), challenges.Load(), grants, opened.Load())
	return nil
}

// subscription is one subscription, as Azure Resource Manager describes it.
type subscription struct {
	SubscriptionID string `json:"subscriptionId"`
	DisplayName    string `json:"displayName"`
	State          string `json:"state"`
}

// subscriptionsClient is built like an Azure SDK for Go client: an azcore
// pipeline with a BearerTokenPolicy for the service's scope.
type subscriptionsClient struct {
	endpoint string
	pl       runtime.Pipeline
}

func newSubscriptionsClient(endpoint string, cred azcore.TokenCredential, opts *azcore.ClientOptions) *subscriptionsClient {
	auth := runtime.NewBearerTokenPolicy(cred, []string{"https://management.azure.com/.default"}, nil)
	pl := runtime.NewPipeline("sdkclient", "v0.1.0", runtime.PipelineOptions{PerRetry: []policy.Policy{auth}}, opts)
	return &subscriptionsClient{endpoint: endpoint, pl: pl}
}

// List returns the subscriptions the user can see, following nextLink.
func (c *subscriptionsClient) List(ctx context.Context) ([]subscription, error) {
	var all []subscription
	next := runtime.JoinPaths(c.endpoint, "subscriptions") + "?api-version=2022-12-01"
	for next != "" {
		req, err := runtime.NewRequest(ctx, http.MethodGet, next)
		if err != nil {
			return nil, err
		}
		req.Raw().Header.Set("Accept", "application/json")
		resp, err := c.pl.Do(req)
		if err != nil {
			return nil, err
		}
		if !runtime.HasStatusCode(resp, http.StatusOK) {
			return nil, runtime.NewResponseError(resp)
		}
		var page struct {
			Value    []subscription `json:"value"`
			NextLink string         `json:"nextLink"`
		}
		if err := runtime.UnmarshalAsJSON(resp, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Value...)
		next = page.NextLink
	}
	return all, nil
}

// newFakeARM starts a stand-in for Azure Resource Manager on HTTPS loopback.
// It checks tokens as ARM does (signature, issuer, expiry, audience, and
// CAE revocation, through entratest) and lists one subscription.
// It counts the claims challenges it sends.
func newFakeARM(idp *entratest.Server) (*httptest.Server, *atomic.Int32) {
	challenges := new(atomic.Int32)
	return httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, `{"error":{"code":"AuthenticationFailed","message":"Authentication failed. The 'Authorization' header is missing."}}`, http.StatusUnauthorized)
			return
		}
		claims, err := idp.VerifyAccessToken(token)
		var challenge *entratest.ClaimsChallengeError
		switch {
		case errors.As(err, &challenge):
			challenges.Add(1)
			w.Header().Set("WWW-Authenticate", challenge.WWWAuthenticate())
			http.Error(w, `{"error":{"code":"InvalidAuthenticationToken","message":"The access token has been revoked."}}`, http.StatusUnauthorized)
			return
		case err != nil || claims["aud"] != "https://management.azure.com":
			http.Error(w, `{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"value":[{"subscriptionId":"00000000-0000-4000-8000-0000000000aa","displayName":"%s's subscription (entratest)","state":"Enabled","tenantId":"%s"}]}`,
			claims["name"], claims["tid"])
	})), challenges
}
