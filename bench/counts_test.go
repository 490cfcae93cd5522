package bench

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/azinteractive/azinteractive/entratest"
)

// BenchmarkColdGetToken is scenario 4: goroutines call GetToken at once on a
// credential nobody has signed in to. goroutines=1 is what one sign-in
// costs; goroutines=64 should cost no more: one prompt, the same token
// requests. ns/op is the wall time until every goroutine has its token.
func BenchmarkColdGetToken(b *testing.B) {
	for _, l := range libs {
		for _, n := range []int{1, 64} {
			b.Run("lib="+l.name+"/goroutines="+strconv.Itoa(n), func(b *testing.B) {
				srv := newServer(b)
				req := caeRequest(armScope)
				var prompts, tokenReqs, codeReqs, ops int
				for b.Loop() {
					srv.ResetRequests()
					a := &approver{srv: srv}
					cred, err := l.deviceCode(srv, a.prompt, caches{})
					if err != nil {
						b.Fatal(err)
					}
					var wg sync.WaitGroup
					start := make(chan struct{})
					errs := make(chan error, n)
					for range n {
						wg.Go(func() {
							<-start
							if _, err := cred.GetToken(context.Background(), req); err != nil {
								errs <- err
							}
						})
					}
					close(start)
					wg.Wait()
					close(errs)
					for err := range errs {
						b.Fatal(err)
					}
					ops++
					prompts += int(a.prompts.Load())
					tokenReqs += countRequests(srv, entratest.EndpointToken)
					codeReqs += countRequests(srv, entratest.EndpointDeviceCode)
				}
				b.ReportMetric(float64(prompts)/float64(ops), "prompts/op")
				b.ReportMetric(float64(tokenReqs)/float64(ops), "token-requests/op")
				b.ReportMetric(float64(codeReqs)/float64(ops), "devicecode-requests/op")
			})
		}
	}
}

// promptHold is how long scenario 5's user takes to finish signing in when
// nothing else ends the wait: long enough past the 200 ms deadline to tell
// a caller that honours its deadline from one that waits for the sign-in.
const promptHold = time.Second

// BenchmarkDeadlineDuringPrompt is scenario 5: while one caller's device
// code prompt is open, another caller with a 200 ms deadline asks for a
// token. It should return within 50 ms of its deadline, with an error that
// is context.DeadlineExceeded. The user finishes signing in once that caller
// returns, or after promptHold.
//
// ms-late/op is how long after its deadline the caller returned;
// deadline-errors/op is 1 when its error was context.DeadlineExceeded. ns/op
// is the whole scenario, the other caller's sign-in included.
func BenchmarkDeadlineDuringPrompt(b *testing.B) {
	const deadline = 200 * time.Millisecond
	for _, l := range libs {
		b.Run("lib="+l.name, func(b *testing.B) {
			srv := newServer(b)
			req := caeRequest(armScope)
			var late time.Duration
			var deadlineErrs, ops int
			for b.Loop() {
				codes := make(chan string, 1)
				prompt := func(_ context.Context, userCode string) error {
					// The prompt shows the code and returns; the user
					// approves it later.
					select {
					case codes <- userCode:
					default:
						b.Error("a second prompt")
					}
					return nil
				}
				cred, err := l.deviceCode(srv, prompt, caches{})
				if err != nil {
					b.Fatal(err)
				}
				first := make(chan error, 1)
				go func() {
					_, err := cred.GetToken(context.Background(), req)
					first <- err
				}()
				code := <-codes // the first caller's prompt is open

				type result struct {
					err     error
					elapsed time.Duration
				}
				returned := make(chan result, 1)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), deadline)
					defer cancel()
					start := time.Now()
					_, err := cred.GetToken(ctx, req)
					returned <- result{err, time.Since(start)}
				}()
				var r result
				hold := time.NewTimer(promptHold)
				select {
				case r = <-returned:
					hold.Stop()
					approve(b, srv, code)
				case <-hold.C:
					approve(b, srv, code)
					r = <-returned
				}
				if err := <-first; err != nil {
					b.Fatalf("the first caller: %v", err)
				}
				ops++
				late += r.elapsed - deadline
				if errors.Is(r.err, context.DeadlineExceeded) {
					deadlineErrs++
				}
			}
			b.ReportMetric(float64(late)/float64(time.Millisecond)/float64(ops), "ms-late/op")
			b.ReportMetric(float64(deadlineErrs)/float64(ops), "deadline-errors/op")
		})
	}
}

func approve(b *testing.B, srv *entratest.Server, userCode string) {
	b.Helper()
	if err := srv.ApproveDeviceCode(userCode, entratest.DefaultUsername); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAuthenticateThenCAERequest is scenario 6: an application calls
// Authenticate, then an Azure SDK client sends its first request through
// azcore's BearerTokenPolicy, which asks for a CAE token for the same scope.
// One prompt is enough: the user has just signed in.
func BenchmarkAuthenticateThenCAERequest(b *testing.B) {
	for _, l := range libs {
		b.Run("lib="+l.name, func(b *testing.B) {
			srv := newServer(b)
			var prompts, tokenReqs, ops int
			for b.Loop() {
				srv.ResetRequests()
				a := &approver{srv: srv}
				cred, err := l.deviceCode(srv, a.prompt, caches{})
				if err != nil {
					b.Fatal(err)
				}
				if err := cred.authenticate(context.Background(), &policy.TokenRequestOptions{Scopes: armScope}); err != nil {
					b.Fatal(err)
				}
				service := &okTransport{}
				pl := runtime.NewPipeline("bench", "v0.0.0", runtime.PipelineOptions{
					PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, armScope, nil)},
				}, &policy.ClientOptions{Transport: service})
				httpReq, err := runtime.NewRequest(context.Background(), http.MethodGet, "https://management.azure.com/subscriptions?api-version=2022-12-01")
				if err != nil {
					b.Fatal(err)
				}
				resp, err := pl.Do(httpReq)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if !service.authorized.Load() {
					b.Fatal("the request carried no bearer token")
				}
				ops++
				prompts += int(a.prompts.Load())
				tokenReqs += countRequests(srv, entratest.EndpointToken)
			}
			b.ReportMetric(float64(prompts)/float64(ops), "prompts/op")
			b.ReportMetric(float64(tokenReqs)/float64(ops), "token-requests/op")
		})
	}
}
