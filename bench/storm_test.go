package bench

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azinteractive/azinteractive/entratest"
)

// BenchmarkStorm is issue 22's storm: callers on distinct scopes ask a
// signed-in credential for their first token at once, so each needs the
// refresh token redeemed, against a token endpoint answering at once or
// after a delay. One op is the whole storm, until its last caller has its
// token or the storm's deadline (10 s plus 20 delays) has passed; served/op
// counts the callers that got a token. A queue of redemptions would serve
// one caller per delay. The server's refresh tokens stay valid when
// redeemed, as Entra ID's do. azinteractive must serve every caller;
// azidentity is measured as it is.
func BenchmarkStorm(b *testing.B) {
	callers, slow := 1000, 2*time.Second
	if testing.Short() {
		callers, slow = 100, 200*time.Millisecond
	}
	for _, delay := range []time.Duration{0, slow} {
		for _, l := range libs {
			b.Run("lib="+l.name+"/callers="+strconv.Itoa(callers)+"/delay="+delay.String(), func(b *testing.B) {
				reqs := scopeRequests(callers + 1)[1:] // not the sign-in's scope
				var total int64
				for b.Loop() {
					b.StopTimer()
					srv := newServerWith(b, &entratest.Options{ReusableRefreshTokens: true})
					a := &approver{srv: srv}
					cred, err := l.deviceCode(srv, a.prompt, caches{})
					if err != nil {
						b.Fatal(err)
					}
					if err := cred.authenticate(context.Background(), &caeArm); err != nil {
						b.Fatal(err)
					}
					if delay > 0 {
						srv.InjectFault(entratest.EndpointToken, callers, entratest.Fault{Delay: delay})
					}
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second+20*delay)
					b.StartTimer()

					var wg sync.WaitGroup
					var served atomic.Int64
					errs := make(chan error, callers)
					for _, r := range reqs {
						wg.Go(func() {
							if _, err := cred.GetToken(ctx, r); err != nil {
								errs <- err
								return
							}
							served.Add(1)
						})
					}
					wg.Wait()

					b.StopTimer()
					cancel()
					close(errs)
					total += served.Load()
					if l.name == libOurs {
						for err := range errs {
							b.Fatal(err)
						}
					}
					if n := a.prompts.Load(); n != 1 {
						b.Fatalf("%d prompts", n)
					}
					srv.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(total)/float64(b.N), "served/op")
			})
		}
	}
}

// caeArm is the sign-in's request.
var caeArm = caeRequest(armScope)
