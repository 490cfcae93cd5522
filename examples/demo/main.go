// Command demo signs in with each of azinteractive's credentials to
// entratest, a local Microsoft Entra ID that it starts in the process, and
// shows what every sign-in gives: the account, its AuthenticationRecord, the
// access token's claims, and a second GetToken that needs no request at all.
// It needs no network and no Azure account, and takes a few seconds:
//
//	go run ./examples/demo
//
// By default entratest plays the user: it approves the device code and
// drives a stand-in browser. To play the user yourself:
//
//	go run ./examples/demo -wait             # sign in at the printed /devicelogin page
//	go run ./examples/demo -browser=system   # sign in in your own browser
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/azinteractive/azinteractive/entratest/brokertest"
	"github.com/azinteractive/azinteractive/examples/internal/offline"
)

// credential is what the demo asks of each credential.
type credential interface {
	GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error)
	GetTokenInfo(context.Context, policy.TokenRequestOptions) (azinteractive.TokenInfo, error)
}

func main() {
	wait := flag.Bool("wait", false, "sign in yourself at the printed device code page, instead of entratest approving the code")
	browser := flag.String("browser", "stand-in", `"stand-in": entratest's scripted browser signs in; "system": your browser opens and you sign in`)
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("demo: ")
	if *browser != "stand-in" && *browser != "system" {
		log.Fatalf(`-browser=%q: want "stand-in" or "system"`, *browser)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *wait, *browser == "system")
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

// demo writes the report. Everything it writes is kept, to check at the end
// that no secret entratest issued or received is in it.
type demo struct {
	w   io.Writer
	out bytes.Buffer
	srv *entratest.Server
}

const indent = "           " // under a field's value

func (d *demo) field(label, format string, args ...any) {
	_, _ = fmt.Fprintf(d.w, "  %-8s %s\n", label, fmt.Sprintf(format, args...))
}

func (d *demo) note(format string, args ...any) {
	_, _ = fmt.Fprintf(d.w, "%s%s\n", indent, fmt.Sprintf(format, args...))
}

func run(ctx context.Context, wait, systemBrowser bool) error {
	start := time.Now()
	srv := entratest.NewServer(nil)
	defer srv.Close()
	d := &demo{srv: srv}
	d.w = io.MultiWriter(os.Stdout, &d.out)

	// Transport trusts entratest's certificate; Cloud makes it the authority host.
	clientOptions := azcore.ClientOptions{Transport: srv.Client(), Cloud: srv.Cloud()}
	scope := "https://management.azure.com/.default"

	_, _ = fmt.Fprintf(d.w, "azinteractive demo: each credential signs in to entratest, a local Microsoft Entra ID\n")
	_, _ = fmt.Fprintf(d.w, "entratest serves %s: tenant %s (%s), user %s\n",
		srv.URL(), entratest.DefaultTenantDomain, entratest.DefaultTenantID, entratest.DefaultUsername)

	// The fourth step's broker: entratest's emulated identity broker on a
	// private D-Bus bus, which the credential finds as this process's session
	// bus. stopBroker also restores the real session's address.
	var emulated *brokertest.Broker
	var tokenRequestsBefore int // at the start of the brokered step
	stopBroker := func() {}
	defer func() { stopBroker() }()

	tokenEndpoint := counter{"requests to the token endpoint", func() int { return offline.TokenRequests(srv) }}
	steps := []struct {
		name  string
		cred  func() (credential, error)
		calls counter // what the second GetToken must not add to
	}{
		{"DeviceCodeCredential", func() (credential, error) {
			return azinteractive.NewDeviceCodeCredential(&azinteractive.DeviceCodeCredentialOptions{
				ClientOptions: clientOptions,
				// The default prompt writes to stderr; the demo shows the message here.
				UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
					d.field("prompt", "%s", m.Message)
					if wait {
						d.note("waiting for you to sign in (the code expires at %s)", m.ExpiresOn.Format(time.Kitchen))
						hint(srv)
						return nil
					}
					d.note("approved as %s by entratest (srv.ApproveDeviceCode); -wait lets you do it", entratest.DefaultUsername)
					return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
				},
			})
		}, tokenEndpoint},
		{"InteractiveBrowserCredential", func() (credential, error) {
			opts := &azinteractive.InteractiveBrowserCredentialOptions{ClientOptions: clientOptions}
			if systemBrowser {
				// OpenURL unset: the system browser, or the URL on stderr where none opens.
				d.field("browser", "opening your browser at entratest's sign-in page")
				hint(srv)
				return azinteractive.NewInteractiveBrowserCredential(opts)
			}
			standIn := srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
			opts.OpenURL = func(ctx context.Context, authorizeURL string) error {
				d.field("browser", "%s", summarize(authorizeURL))
				d.note("entratest's stand-in browser signs in as %s (srv.Browser); -browser=system opens yours", entratest.DefaultUsername)
				return standIn(ctx, authorizeURL)
			}
			return azinteractive.NewInteractiveBrowserCredential(opts)
		}, tokenEndpoint},
		{"UsernamePasswordCredential", func() (credential, error) {
			d.field("sign-in", "%s, with the password grant (deprecated: no MFA; the password isn't shown)", entratest.DefaultUsername)
			return azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
				entratest.DefaultUsername, entratest.DefaultPassword,
				//lint:ignore SA1019 the demo shows every credential, the deprecated one too
				&azinteractive.UsernamePasswordCredentialOptions{ClientOptions: clientOptions})
		}, tokenEndpoint},
		{"InteractiveBrowserCredential with Broker (the Linux identity broker)", func() (credential, error) {
			b, stop, err := startBroker(srv)
			if err != nil {
				return nil, err
			}
			emulated, stopBroker = b, stop
			tokenRequestsBefore = offline.TokenRequests(srv)
			d.field("broker", "entratest's emulated identity broker (brokertest.New) serves %s", brokertest.BusName)
			d.note("on a private D-Bus session bus; its dialog signs in as %s", entratest.DefaultUsername)
			return azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
				ClientOptions: clientOptions,
				Broker:        &azinteractive.BrokerOptions{},
				OpenURL: func(context.Context, string) error {
					return errors.New("the broker should have signed the user in, not the browser")
				},
			})
		}, counter{"calls to the broker", func() int { return len(emulated.Requests()) }}},
	}
	signedIn := 0
	for i, step := range steps {
		_, _ = fmt.Fprintf(d.w, "\n[%d/%d] %s\n", i+1, len(steps), step.name)
		cred, err := step.cred()
		if errors.Is(err, brokertest.ErrNoDBusDaemon) {
			d.field("skipped", "%v (the brokered sign-in needs a private D-Bus bus)", err)
			continue
		}
		if err != nil {
			return err
		}
		if err := d.signIn(ctx, cred, scope, step.calls); err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
		signedIn++
	}
	if emulated != nil {
		var calls []string
		for _, r := range emulated.Requests() {
			calls = append(calls, r.Method)
		}
		sent := offline.TokenRequests(srv) - tokenRequestsBefore
		d.field("broker", "received %s; requests to the token endpoint during this step: %d", strings.Join(calls, ", "), sent)
		if sent != 0 {
			return fmt.Errorf("the brokered sign-in sent %d requests to the token endpoint", sent)
		}
	}

	secrets, leaked := srv.Secrets(), 0
	for _, s := range secrets {
		if s != "" && strings.Contains(d.out.String(), s) {
			leaked++
		}
	}
	_, _ = fmt.Fprintf(d.w, "\n%d of %d credentials signed in and then got tokens silently; %d requests reached entratest in %s.\n",
		signedIn, len(steps), len(srv.Requests()), time.Since(start).Round(10*time.Millisecond))
	if leaked > 0 {
		return fmt.Errorf("%d of the secrets entratest issued or received appear above", leaked)
	}
	_, _ = fmt.Fprintf(d.w, "None of the %d secrets entratest issued or received (tokens, codes, passwords) appears above.\n", len(secrets))
	return nil
}

// counter counts what a credential sent: requests to the token endpoint, or
// calls to the broker.
type counter struct {
	what string
	n    func() int
}

// signIn gets a token, which signs the user in, shows what it got, and then
// gets it again to show that the second time needs no request.
func (d *demo) signIn(ctx context.Context, cred credential, scope string, calls counter) error {
	tro := policy.TokenRequestOptions{Scopes: []string{scope}}
	info, err := cred.GetTokenInfo(ctx, tro)
	if err != nil {
		return err
	}
	d.field("account", "%s", info.Account.Username)
	// TokenInfo.Account is the AuthenticationRecord that Authenticate returns.
	_, _ = fmt.Fprintf(d.w, "  %-8s ", "record")
	offline.PrintJSON(d.w, indent, info.Account)
	claims, err := offline.Claims(info.Token)
	if err != nil {
		return err
	}
	d.field("claims", "of the %s token for %s (decoded; the token is never shown)", info.TokenType, scope)
	offline.PrintClaims(d.w, indent, claims)

	before := calls.n()
	if _, err := cred.GetToken(ctx, tro); err != nil {
		return err
	}
	if after := calls.n(); after != before {
		return fmt.Errorf("the second GetToken made %d %s", after-before, calls.what)
	}
	d.field("silent", "second GetToken: nothing sent (%s: %d before, the same after)", calls.what, before)
	return nil
}

// startBroker serves entratest's emulated identity broker on a private D-Bus
// bus and makes that bus this process's session bus, where the credential
// looks for the broker. stop undoes both.
func startBroker(srv *entratest.Server) (b *brokertest.Broker, stop func(), err error) {
	bus, err := brokertest.NewSessionBus()
	if err != nil {
		return nil, nil, err
	}
	b = brokertest.New(srv, bus.Address(), nil)
	old, had := os.LookupEnv("DBUS_SESSION_BUS_ADDRESS")
	stop = func() {
		b.Close()
		bus.Close()
		if had {
			_ = os.Setenv("DBUS_SESSION_BUS_ADDRESS", old)
		} else {
			_ = os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
		}
	}
	if err := os.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Address()); err != nil {
		stop()
		return nil, nil, err
	}
	return b, stop, nil
}

// summarize shows an authorize URL without its noise (state, nonce, PKCE challenge).
func summarize(authorizeURL string) string {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "opened the sign-in page"
	}
	q := u.Query()
	var params []string
	for _, k := range []string{"redirect_uri", "response_mode", "code_challenge_method", "prompt"} {
		if v := q.Get(k); v != "" {
			params = append(params, k+"="+v)
		}
	}
	return fmt.Sprintf("opened %s://%s%s\n%s%s", u.Scheme, u.Host, u.Path, indent, strings.Join(params, " "))
}

// hint tells the person at the keyboard how to sign in. It goes to stderr,
// since the password, even entratest's published one, has no place in the report.
func hint(srv *entratest.Server) {
	fmt.Fprintf(os.Stderr, "  --> sign in as %s, password %s; your browser will warn about the\n"+
		"      certificate of %s, made for this run: accept it.\n",
		entratest.DefaultUsername, entratest.DefaultPassword, srv.URL())
}
