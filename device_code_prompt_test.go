package azinteractive

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// syncBuffer is a bytes.Buffer safe for the countdown goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDeviceCodeUI: the default prompt writes the service's message and, on
// a terminal, a countdown it erases at the end; nothing else (its godoc lists
// every line), so an application's own "Signed in as" isn't said twice.
func TestDeviceCodeUI(t *testing.T) {
	msg := DeviceCodeMessage{UserCode: "ABCD-1234", Message: "To sign in, open https://example/devicelogin and enter ABCD-1234."}
	cases := []struct {
		name      string
		terminal  bool
		expiresIn time.Duration
		want      string // all of the output, with the countdown's lines removed
	}{
		{"pipe", false, 15 * time.Minute, msg.Message + "\n"},
		{"pipe, expired", false, -time.Second, msg.Message + "\n"},
		{"terminal", true, 15 * time.Minute, msg.Message + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			ui := &deviceCodeUI{out: &out, terminal: tc.terminal, now: time.Now, tick: 5 * time.Millisecond}
			m := msg
			m.ExpiresOn = time.Now().Add(tc.expiresIn)
			finish := ui.show(m)
			if tc.terminal {
				assert.Eventually(t, func() bool { return strings.Count(out.String(), "expires in") >= 2 }, 5*time.Second, time.Millisecond, "the countdown updates in place")
			}
			finish()
			finish() // idempotent
			got := out.String()
			if tc.terminal {
				assert.Contains(t, got, "the code ABCD-1234 expires in 1")
				assert.True(t, strings.HasSuffix(got, "\r\x1b[K"), "the countdown is erased: %q", got)
				// What remains on screen: the message line, then an empty line.
				for strings.Contains(got, "\r\x1b[K") {
					i := strings.Index(got, "\r\x1b[K")
					j := strings.Index(got[i+4:], "\r\x1b[K")
					if j < 0 {
						got = got[:i]
						break
					}
					got = got[:i] + got[i+4+j:]
				}
			} else {
				assert.NotContains(t, got, "\r")
				assert.NotContains(t, got, "\x1b")
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
