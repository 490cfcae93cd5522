package azinteractive

import (
	"bytes"
	"errors"
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

func TestDeviceCodeUI(t *testing.T) {
	msg := DeviceCodeMessage{UserCode: "ABCD-1234", Message: "To sign in, open https://example/devicelogin and enter ABCD-1234."}
	cases := []struct {
		name       string
		terminal   bool
		expiresIn  time.Duration
		user       string
		err        error
		want       []string
		wantNoCtrl bool
	}{
		{"pipe, success", false, 15 * time.Minute, "alice@contoso.com", nil, []string{msg.Message, "Signed in as alice@contoso.com."}, true},
		{"pipe, expired", false, -time.Second, "", errors.New("expired"), []string{"The code expired"}, true},
		{"terminal, success", true, 15 * time.Minute, "alice@contoso.com", nil, []string{"the code ABCD-1234 expires in 1", "\r\x1b[K", "Signed in as alice@contoso.com."}, false},
		{"terminal, failure", true, 15 * time.Minute, "", errors.New("declined"), []string{"Sign-in didn't finish."}, false},
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
			finish(tc.user, tc.err)
			finish(tc.user, tc.err) // idempotent
			got := out.String()
			for _, w := range tc.want {
				assert.Contains(t, got, w)
			}
			if tc.wantNoCtrl {
				assert.NotContains(t, got, "\r")
				assert.NotContains(t, got, "\x1b")
			}
			assert.True(t, strings.HasSuffix(got, "\n"), "the last line ends the countdown line")
		})
	}
}

func TestDeviceCodeUIDropsControlCharacters(t *testing.T) {
	var out syncBuffer
	ui := &deviceCodeUI{out: &out, now: time.Now, tick: time.Hour}
	finish := ui.show(DeviceCodeMessage{UserCode: "AB\x1b[2JCD", Message: "Open https://example/devicelogin\x1b]0;pwned\x07 and enter AB\x1b[2JCD\r"})
	finish("", nil)
	got := out.String()
	assert.NotContains(t, got, "\x1b")
	assert.NotContains(t, got, "\x07")
	assert.NotContains(t, got, "\r")
	assert.Contains(t, got, "Open https://example/devicelogin]0;pwned and enter AB[2JCD")
}
