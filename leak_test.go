package azinteractive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
	"github.com/azinteractive/azinteractive/entratest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// leakWitness collects everything an application could print while using the
// credentials: azcore's log at full verbosity (request and response bodies
// included), the emulator's log, and errors and values formatted every way
// fmt can. It then looks for every secret the emulators issued or received.
type leakWitness struct {
	mu      sync.Mutex // guards texts and servers
	texts   []string
	servers []*entratest.Server
}

// newLeakWitness makes w azcore's log listener, with every event selected,
// until the test ends. The listener is global, so tests using this must not
// run in parallel with other tests that log.
func newLeakWitness(t *testing.T) *leakWitness {
	w := &leakWitness{}
	log.SetListener(func(e log.Event, msg string) { w.add(string(e) + ": " + msg) })
	log.SetEvents() // all events
	t.Cleanup(func() {
		log.SetListener(nil)
		log.SetEvents()
	})
	return w
}

func (w *leakWitness) add(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.texts = append(w.texts, s)
}

// server starts an emulator whose secrets w looks for and whose log w reads.
func (w *leakWitness) server(t *testing.T, opts *entratest.Options) *entratest.Server {
	if opts == nil {
		opts = &entratest.Options{}
	}
	opts.Logf = func(format string, args ...any) { w.add("entratest: " + fmt.Sprintf(format, args...)) }
	srv := entratest.NewServer(opts)
	t.Cleanup(srv.Close)
	w.mu.Lock()
	w.servers = append(w.servers, srv)
	w.mu.Unlock()
	return srv
}

// format adds v as every fmt verb an application might log it with.
func (w *leakWitness) format(vs ...any) {
	for _, v := range vs {
		w.add(fmt.Sprintf("%v | %+v | %#v | %s | %q", v, v, v, v, v))
	}
}

// err adds err, everything it wraps, and the HTTP response it carries, the
// way an application dumping a failure would print them.
func (w *leakWitness) err(err error) {
	if err == nil {
		return
	}
	w.format(err)
	var failed *azinteractive.AuthenticationFailedError
	if errors.As(err, &failed) && failed.RawResponse != nil {
		resp := failed.RawResponse
		if b, derr := httputil.DumpResponse(resp, true); derr == nil {
			w.add(string(b))
		}
		if resp.Request != nil {
			w.add(resp.Request.URL.String())
			if b, derr := httputil.DumpRequest(resp.Request, true); derr == nil {
				w.add(string(b))
			}
		}
		w.format(failed.Claims, failed.ErrorCode)
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		w.err(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			w.err(e)
		}
	}
}

// check fails t for every secret found in what w collected. Secrets are
// matched whole and, when long, by any 48-character piece, so that half a
// token (a truncated body, a clipped message) counts too.
func (w *leakWitness) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	const window, stride = 32, 16 // every substring of 48 characters holds a window
	pieces := map[string]string{} // window -> secret kind
	var whole []string
	for _, srv := range w.servers {
		for _, s := range srv.Secrets() {
			switch {
			case len(s) < 8:
				// Only the emulator's one-time MFA codes are this short: its
				// stand-in browser types them into its own page, and a
				// credential never sees them. Six digits would match any
				// timestamp.
				require.Regexp(t, `^[0-9]+$`, s)
			case len(s) < window+stride:
				whole = append(whole, s)
			default:
				whole = append(whole, s)
				for i := 0; i+window <= len(s); i += stride {
					pieces[s[i:i+window]] = secretKind(s)
				}
			}
		}
	}
	require.NotEmpty(t, w.texts)
	for _, text := range w.texts {
		for _, s := range whole {
			if strings.Contains(text, s) {
				t.Errorf("a %s appears in:\n%s", secretKind(s), clip(text, s))
			}
		}
		for i := 0; i+window <= len(text); i++ {
			if kind, ok := pieces[text[i:i+window]]; ok {
				t.Errorf("part of a %s appears in:\n%s", kind, clip(text, text[i:i+window]))
				break
			}
		}
	}
}

// secretKind names a secret by the emulator's formats, for failure messages
// that don't print the secret itself.
func secretKind(s string) string {
	switch {
	case strings.HasPrefix(s, "1.entratest-code."):
		return "authorization code"
	case strings.HasPrefix(s, "1.entratest."):
		return "refresh token"
	case strings.HasPrefix(s, "DAQABAAEAAA.entratest."):
		return "device code"
	case strings.Count(s, ".") == 2 && strings.HasPrefix(s, "eyJ"):
		return "JWT (access or ID token)"
	case len(s) == 43 && !strings.Contains(s, "."):
		return "PKCE verifier or session cookie"
	}
	return "password or other secret"
}

// clip shows where in text a secret was found without printing any secret:
// the context has every run of 16 or more token characters masked.
func clip(text, secret string) string {
	i := strings.Index(text, secret)
	start, end := max(0, i-160), min(len(text), i+len(secret)+80)
	return tokenLike.ReplaceAllString(text[start:i], "<…>") + "<SECRET>" + tokenLike.ReplaceAllString(text[i+len(secret):end], "<…>")
}

var tokenLike = regexp.MustCompile(`[A-Za-z0-9_.~+/=-]{16,}`)

// leakClientOptions logs everything azcore can log, bodies included, and
// retries quickly.
func leakClientOptions(srv *entratest.Server) azcore.ClientOptions {
	o := fastClientOptions(srv)
	o.Logging = policy.LogOptions{IncludeBody: true}
	return o
}

// notifyExchanges is a transport that leaves a token on ch after each
// response, without blocking: a waiter that checks its condition again after
// each token misses none, as one token left waiting stands for any number.
type notifyExchanges struct {
	next policy.Transporter
	ch   chan<- struct{}
}

func (n notifyExchanges) Do(req *http.Request) (*http.Response, error) {
	resp, err := n.next.Do(req)
	select {
	case n.ch <- struct{}{}:
	default:
	}
	return resp, err
}

// garbleTokenResponses is a transport that appends a byte to successful
// token responses, as a broken proxy might: the body still holds the tokens
// but no longer decodes.
type garbleTokenResponses struct {
	next policy.Transporter
	off  *atomic.Bool // when set, responses pass unharmed
}

func (g garbleTokenResponses) Do(r *http.Request) (*http.Response, error) {
	resp, err := g.next.Do(r)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") || g.off != nil && g.off.Load() {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	// A trailing comma: the strictest and the most lenient decoders refuse it.
	b = append(bytes.TrimRight(b, "} \n"), ",}"...)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// TestSecretsNeverLeak runs every flow of every credential, succeeding and
// failing, with azcore's log at full verbosity (bodies too) and support
// logging on, and checks that no secret an emulator issued or received
// appears in a log line, an error, or a formatted credential, option,
// record, token info or error.
func TestSecretsNeverLeak(t *testing.T) {
	w := newLeakWitness(t)
	ctx := t.Context()
	srv := w.server(t, nil)
	const mfaUser, mfaPassword = "mfa@contoso.com", "mfa-Pa55w0rd-leaktest"
	srv.AddUser(entratest.User{Username: mfaUser, Password: mfaPassword, MFARequired: true})
	srv.AddUser(entratest.User{Username: "off@contoso.com", Password: "off-Pa55w0rd-leaktest", Disabled: true})
	scopes := policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}}
	vault := policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}

	// use runs a credential through everything an application does with it.
	use := func(t *testing.T, cred interface {
		GetTokenInfo(context.Context, policy.TokenRequestOptions) (azinteractive.TokenInfo, error)
		Authenticate(context.Context, *policy.TokenRequestOptions) (azinteractive.AuthenticationRecord, error)
	}, opts any, wantOK bool) {
		t.Helper()
		rec, err := cred.Authenticate(ctx, &scopes)
		w.err(err)
		w.format(cred, opts, rec)
		b, jerr := json.Marshal(rec)
		require.NoError(t, jerr)
		w.add(string(b)) // what applications save
		if wantOK {
			require.NoError(t, err)
		} else {
			require.Error(t, err)
			return
		}
		for _, o := range []policy.TokenRequestOptions{scopes, vault, {Scopes: scopes.Scopes, EnableCAE: true}} {
			info, err := cred.GetTokenInfo(ctx, o)
			require.NoError(t, err)
			w.format(info, &info, info.Account)
		}
	}

	t.Run("browser with MFA, then refresh and a CAE challenge", func(t *testing.T) {
		o := &azinteractive.InteractiveBrowserCredentialOptions{
			ClientOptions: leakClientOptions(srv), EnableSupportLogging: true, LoginHint: mfaUser,
			OpenURL: srv.Browser(mfaUser, mfaPassword),
		}
		cred, err := azinteractive.NewInteractiveBrowserCredential(o)
		require.NoError(t, err)
		use(t, cred, o, true)
		challenge := srv.RevokeSessions(mfaUser)
		info, err := cred.GetTokenInfo(ctx, policy.TokenRequestOptions{Scopes: scopes.Scopes, EnableCAE: true, Claims: challenge})
		require.NoError(t, err)
		w.format(info)
		w.err(cred.SignOut(ctx))
	})
	t.Run("browser canceled", func(t *testing.T) {
		o := &azinteractive.InteractiveBrowserCredentialOptions{ClientOptions: leakClientOptions(srv), EnableSupportLogging: true, OpenURL: srv.CancelBrowser()}
		cred, err := azinteractive.NewInteractiveBrowserCredential(o)
		require.NoError(t, err)
		use(t, cred, o, false)
	})
	t.Run("browser with a wrong password", func(t *testing.T) {
		o := &azinteractive.InteractiveBrowserCredentialOptions{
			ClientOptions: leakClientOptions(srv), EnableSupportLogging: true,
			OpenURL: srv.Browser(entratest.DefaultUsername, "wrong-Pa55w0rd-leaktest"),
		}
		cred, err := azinteractive.NewInteractiveBrowserCredential(o)
		require.NoError(t, err)
		use(t, cred, o, false)
	})
	t.Run("browser timeout", func(t *testing.T) {
		o := &azinteractive.InteractiveBrowserCredentialOptions{
			ClientOptions: leakClientOptions(srv), EnableSupportLogging: true, Timeout: 100 * time.Millisecond,
			OpenURL: func(context.Context, string) error { return nil },
		}
		cred, err := azinteractive.NewInteractiveBrowserCredential(o)
		require.NoError(t, err)
		use(t, cred, o, false)
	})

	deviceCodeWith := func(t *testing.T, co azcore.ClientOptions, prompt func(context.Context, azinteractive.DeviceCodeMessage) error, wantOK bool) {
		t.Helper()
		o := &azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: co, EnableSupportLogging: true,
			UserPrompt: func(ctx context.Context, m azinteractive.DeviceCodeMessage) error {
				w.format(m)
				return prompt(ctx, m)
			},
		}
		cred, err := azinteractive.NewDeviceCodeCredential(o)
		require.NoError(t, err)
		use(t, cred, o, wantOK)
	}
	deviceCode := func(t *testing.T, srv *entratest.Server, prompt func(context.Context, azinteractive.DeviceCodeMessage) error, wantOK bool) {
		t.Helper()
		deviceCodeWith(t, leakClientOptions(srv), prompt, wantOK)
	}
	t.Run("device code approved", func(t *testing.T) {
		deviceCode(t, srv, func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			return srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
		}, true)
	})
	t.Run("device code through the verification page, with MFA", func(t *testing.T) {
		browse := srv.DeviceBrowser(mfaUser, mfaPassword)
		deviceCode(t, srv, func(ctx context.Context, m azinteractive.DeviceCodeMessage) error {
			return browse(ctx, m.VerificationURL, m.UserCode)
		}, true)
	})
	t.Run("device code approved after slow_down", func(t *testing.T) {
		srv.SlowDownDeviceCode(2)
		var wg sync.WaitGroup
		t.Cleanup(wg.Wait)
		polls := func() (n int) {
			for _, r := range srv.Requests() {
				if r.GrantType == "device_code" && r.Status == http.StatusBadRequest {
					n++
				}
			}
			return n
		}
		co := leakClientOptions(srv)
		exchanged := make(chan struct{}, 1)
		co.Transport = notifyExchanges{co.Transport, exchanged}
		deviceCodeWith(t, co, func(ctx context.Context, m azinteractive.DeviceCodeMessage) error {
			// The user approves after MSAL was told twice to slow down,
			// looking again after each of MSAL's requests.
			before := polls()
			wg.Go(func() {
				for polls() < before+2 {
					select {
					case <-exchanged:
					case <-ctx.Done():
						return // the sign-in failed; use reports it
					}
				}
				assert.NoError(t, srv.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername))
			})
			return nil
		}, true)
	})
	t.Run("device code denied", func(t *testing.T) {
		deviceCode(t, srv, func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
			return srv.DenyDeviceCode(m.UserCode)
		}, false)
	})
	t.Run("device code expired", func(t *testing.T) {
		short := w.server(t, &entratest.Options{DeviceCodeLifetime: time.Second})
		deviceCode(t, short, func(context.Context, azinteractive.DeviceCodeMessage) error { return nil }, false)
	})
	t.Run("device code with automatic authentication disabled", func(t *testing.T) {
		o := &azinteractive.DeviceCodeCredentialOptions{ClientOptions: leakClientOptions(srv), EnableSupportLogging: true, DisableAutomaticAuthentication: true}
		cred, err := azinteractive.NewDeviceCodeCredential(o)
		require.NoError(t, err)
		_, err = cred.GetTokenInfo(ctx, scopes)
		var required *azinteractive.AuthenticationRequiredError
		require.ErrorAs(t, err, &required)
		w.err(err)
		w.format(cred, o)
	})

	for _, tc := range []struct {
		name, user, password string
		wantOK               bool
	}{
		{"password", entratest.DefaultUsername, entratest.DefaultPassword, true},
		{"password wrong", entratest.DefaultUsername, "wrong-Pa55w0rd-leaktest", false},
		{"password of an MFA user", mfaUser, mfaPassword, false},
		{"password of a disabled user", "off@contoso.com", "off-Pa55w0rd-leaktest", false},
		{"password of an unknown user", "nobody@contoso.com", "nobody-Pa55w0rd-leaktest", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: leakClientOptions(srv), EnableSupportLogging: true}
			cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID, tc.user, tc.password, o)
			require.NoError(t, err)
			use(t, cred, o, tc.wantOK)
		})
	}

	// Faults on the token endpoint while it answers a password grant, whose
	// responses carry every kind of token.
	for _, tc := range []struct {
		name   string
		fault  entratest.Fault
		n      int
		wantOK bool
	}{
		{"503 then success", entratest.Fault{Status: http.StatusServiceUnavailable}, 1, true},
		{"persistent 500", entratest.Fault{Status: http.StatusInternalServerError}, 100, false},
		{"malformed JSON", entratest.Fault{MalformedJSON: true}, 1, false},
		{"truncated body", entratest.Fault{TruncatedBody: true}, 1, false},
		{"connection reset", entratest.Fault{DropConnection: true}, 100, false},
	} {
		t.Run("fault "+tc.name, func(t *testing.T) {
			faulty := w.server(t, nil)
			faulty.InjectFault(entratest.EndpointToken, tc.n, tc.fault)
			o := &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: leakClientOptions(faulty), EnableSupportLogging: true}
			cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultUsername, entratest.DefaultPassword, o)
			require.NoError(t, err)
			use(t, cred, o, tc.wantOK)
		})
	}
	t.Run("fault slower than the deadline", func(t *testing.T) {
		faulty := w.server(t, nil)
		faulty.InjectFault(entratest.EndpointToken, 100, entratest.Fault{Delay: time.Minute})
		o := &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: leakClientOptions(faulty), EnableSupportLogging: true}
		cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultUsername, entratest.DefaultPassword, o)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, err = cred.GetTokenInfo(ctx, scopes)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		w.err(err)
	})
	t.Run("token response that doesn't decode", func(t *testing.T) {
		faulty := w.server(t, nil)
		o := &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: leakClientOptions(faulty), EnableSupportLogging: true}
		o.Transport = garbleTokenResponses{next: faulty.Client()}
		cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultUsername, entratest.DefaultPassword, o)
		require.NoError(t, err)
		use(t, cred, o, false)
	})
	t.Run("refresh response that doesn't decode, automatic authentication disabled", func(t *testing.T) {
		// The failed refresh is the cause of AuthenticationRequiredError.
		faulty := w.server(t, nil)
		off := &atomic.Bool{}
		off.Store(true)
		o := &azinteractive.DeviceCodeCredentialOptions{
			ClientOptions: leakClientOptions(faulty), EnableSupportLogging: true, DisableAutomaticAuthentication: true,
			UserPrompt: func(_ context.Context, m azinteractive.DeviceCodeMessage) error {
				return faulty.ApproveDeviceCode(m.UserCode, entratest.DefaultUsername)
			},
		}
		o.Transport = garbleTokenResponses{next: faulty.Client(), off: off}
		cred, err := azinteractive.NewDeviceCodeCredential(o)
		require.NoError(t, err)
		_, err = cred.Authenticate(ctx, &scopes)
		require.NoError(t, err)
		off.Store(false)
		_, err = cred.GetTokenInfo(ctx, vault)
		var required *azinteractive.AuthenticationRequiredError
		require.ErrorAs(t, err, &required)
		w.err(err)
	})

	// The test proves something only if the flows handled every kind of
	// secret and the log saw them happen.
	kinds := map[string]bool{}
	w.mu.Lock()
	for _, srv := range w.servers {
		for _, s := range srv.Secrets() {
			kinds[secretKind(s)] = true
		}
	}
	w.mu.Unlock()
	for _, k := range []string{"authorization code", "refresh token", "device code", "JWT (access or ID token)", "PKCE verifier or session cookie", "password or other secret"} {
		assert.True(t, kinds[k], "no %s was issued or received", k)
	}
	w.mu.Lock()
	all := strings.Join(w.texts, "\n")
	w.mu.Unlock()
	for _, want := range []string{"Authentication: ", "Request: ", "Response: ", "Retry: ", "redirect server: ", entratest.DefaultUsername} {
		assert.Contains(t, all, want, "the log is at full verbosity, with support logging")
	}
	w.check(t)
}

// TestCacheFilesStayPrivate signs in with a plaintext persistent cache and
// checks that its files are private to the user when created, that a file
// made world-readable is made private again (with a warning) when reused,
// and that the remembered AuthenticationRecord holds no secret.
func TestCacheFilesStayPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes aren't how Windows protects the profile")
	}
	// No Secret Service: the cache must land in files, which this test is about.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	w := newLeakWitness(t)
	srv := w.server(t, nil)
	dir := filepath.Join(t.TempDir(), "cache")
	newCred := func() *azinteractive.UsernamePasswordCredential {
		c, err := cache.New(&cache.Options{Name: "leaktest", Directory: dir, AllowUnencryptedStorage: true, RememberAccount: true})
		require.NoError(t, err)
		cred, err := azinteractive.NewUsernamePasswordCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
			entratest.DefaultUsername, entratest.DefaultPassword, &azinteractive.UsernamePasswordCredentialOptions{ClientOptions: fastClientOptions(srv), Cache: c})
		require.NoError(t, err)
		return cred
	}
	scopes := policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}}
	_, err := newCred().GetToken(t.Context(), scopes)
	require.NoError(t, err)

	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	}))
	var plaintext []string
	for _, f := range files {
		fi, err := os.Stat(f)
		require.NoError(t, err)
		assert.Zero(t, fi.Mode().Perm()&0o077, "%s has mode %#o", f, fi.Mode().Perm())
		if strings.HasSuffix(f, ".nocae") || strings.HasSuffix(f, ".cae") {
			plaintext = append(plaintext, f)
		}
		if strings.HasSuffix(f, ".authrecord.json") {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			w.add(string(b)) // the record must hold no secret
		}
	}
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Zero(t, fi.Mode().Perm()&0o077, "the cache directory has mode %#o", fi.Mode().Perm())
	require.NotEmpty(t, plaintext, "with no Secret Service the cache is in plaintext files")

	for _, f := range plaintext {
		require.NoError(t, os.Chmod(f, 0o644))
	}
	w.mu.Lock()
	w.texts = nil
	w.mu.Unlock()
	_, err = newCred().GetToken(t.Context(), scopes)
	require.NoError(t, err)
	for _, f := range plaintext {
		fi, err := os.Stat(f)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "%s was made private again", f)
	}
	w.mu.Lock()
	logged := strings.Join(w.texts, "\n")
	w.mu.Unlock()
	assert.Contains(t, logged, "readable by other users", "the fix is logged as a warning")
	w.check(t)
}

// TestInterceptedCodeIsUseless plays a local process that won the race for
// the redirect: it receives the authorization code instead of the
// credential. The authorize URL carries only the PKCE challenge, so the
// process can't redeem the code, with no verifier or a guessed one.
func TestInterceptedCodeIsUseless(t *testing.T) {
	srv := entratest.NewServer(nil)
	defer srv.Close()
	stolen := make(chan url.Values, 1)
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() == nil && r.PostForm.Get("code") != "" {
			select {
			case stolen <- r.PostForm:
			default:
			}
		}
	}))
	defer thief.Close()
	thiefRedirect := "http://localhost:" + strconv.Itoa(thief.Listener.Addr().(*net.TCPAddr).Port)

	browser := srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
	var authURL url.Values
	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: fastClientOptions(srv),
		Timeout:       500 * time.Millisecond, // the code never reaches the credential
		OpenURL: func(ctx context.Context, raw string) error {
			u, err := url.Parse(raw)
			if err != nil {
				return err
			}
			q := u.Query()
			authURL = q
			q.Set("redirect_uri", thiefRedirect)
			u.RawQuery = q.Encode()
			return browser(ctx, u.String())
		},
	})
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	require.ErrorIs(t, err, context.DeadlineExceeded)

	assert.Equal(t, "S256", authURL.Get("code_challenge_method"))
	assert.Len(t, authURL.Get("code_challenge"), 43)
	assert.Equal(t, "form_post", authURL.Get("response_mode"), "the code isn't put in a URL, where history and logs keep it")
	assert.Empty(t, authURL.Get("code_verifier"))
	var form url.Values
	select {
	case form = <-stolen:
	default:
		require.FailNow(t, "the thief received no code")
	}
	for _, verifier := range []string{"", authURL.Get("code_challenge"), strings.Repeat("A", 43)} {
		resp, err := srv.Client().PostForm(srv.URL()+"/organizations/oauth2/v2.0/token", url.Values{
			"client_id": {entratest.DefaultClientID}, "grant_type": {"authorization_code"}, "code": {form.Get("code")},
			"redirect_uri": {thiefRedirect}, "scope": {"https://management.azure.com/.default"}, "code_verifier": {verifier},
		})
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, string(body), "invalid_grant")
		assert.NotContains(t, string(body), "access_token")
	}
}

// TestRedirectServerListensOnlyOnLoopback: while the credential waits for
// the redirect, its server can't be reached on the machine's other
// addresses, so nothing on the network can deliver, or probe for, a code.
func TestRedirectServerListensOnlyOnLoopback(t *testing.T) {
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	var external []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			external = append(external, n.IP)
		}
	}
	if len(external) == 0 {
		t.Skip("this machine has no address but loopback")
	}
	srv := entratest.NewServer(nil)
	defer srv.Close()
	browser := srv.Browser(entratest.DefaultUsername, entratest.DefaultPassword)
	cred, err := azinteractive.NewInteractiveBrowserCredential(&azinteractive.InteractiveBrowserCredentialOptions{
		ClientOptions: fastClientOptions(srv),
		OpenURL: func(ctx context.Context, raw string) error {
			u, err := url.Parse(raw)
			require.NoError(t, err)
			redirect, err := url.Parse(u.Query().Get("redirect_uri"))
			require.NoError(t, err)
			for _, ip := range external {
				conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), redirect.Port()))
				if conn != nil {
					_ = conn.Close()
				}
				assert.Error(t, err, "the redirect server answers on %s", ip)
			}
			return browser(ctx, raw)
		},
	})
	require.NoError(t, err)
	_, err = cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.azure.com/.default"}})
	require.NoError(t, err)
}
