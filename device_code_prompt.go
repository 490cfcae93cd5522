package azinteractive

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/term"
)

// deviceCodeUI is the default device code prompt. It writes to standard error
// (standard output may be a pipe the program's data goes to, or buffered away
// under docker and notebooks). On a terminal it keeps a one-line countdown of
// the code's validity, updated in place; elsewhere (pipes, CI logs) it writes
// plain lines without control characters.
type deviceCodeUI struct {
	out      io.Writer
	terminal bool
	now      func() time.Time
	tick     time.Duration
}

func newDeviceCodeUI(out io.Writer) *deviceCodeUI {
	ui := &deviceCodeUI{out: out, now: time.Now, tick: time.Second}
	if f, ok := out.(*os.File); ok {
		ui.terminal = term.IsTerminal(int(f.Fd()))
	}
	return ui
}

// show prints the instructions and, on a terminal, starts the countdown. The
// returned function ends it with a last line saying how the sign-in ended.
func (ui *deviceCodeUI) show(m DeviceCodeMessage) (finish func(username string, err error)) {
	// The text comes from the authority: control characters could drive the
	// terminal (clear it, rewrite lines), so they don't reach it.
	m.Message, m.UserCode = printable(m.Message), printable(m.UserCode)
	_, _ = fmt.Fprintln(ui.out, m.Message)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if ui.terminal && !m.ExpiresOn.IsZero() {
		wg.Go(func() {
			t := time.NewTicker(ui.tick)
			defer t.Stop()
			for {
				left := m.ExpiresOn.Sub(ui.now()).Round(time.Second)
				if left < 0 {
					left = 0
				}
				// \r returns to the line's start and ESC[K clears it.
				_, _ = fmt.Fprintf(ui.out, "\r\x1b[KWaiting for you to sign in: the code %s expires in %s", m.UserCode, formatLeft(left))
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		})
	}
	var once sync.Once
	return func(username string, err error) {
		once.Do(func() {
			close(stop)
			wg.Wait()
			if ui.terminal && !m.ExpiresOn.IsZero() {
				_, _ = fmt.Fprint(ui.out, "\r\x1b[K")
			}
			switch {
			case err == nil && username != "":
				_, _ = fmt.Fprintf(ui.out, "Signed in as %s.\n", username)
			case err == nil:
				_, _ = fmt.Fprintln(ui.out, "Signed in.")
			case !m.ExpiresOn.IsZero() && !ui.now().Before(m.ExpiresOn):
				_, _ = fmt.Fprintln(ui.out, "The code expired before sign-in finished. Run the program again to get a new code.")
			default:
				_, _ = fmt.Fprintln(ui.out, "Sign-in didn't finish.")
			}
		})
	}
}

// printable drops control characters (ESC, CR, BEL, ...) from s, keeping
// line breaks as spaces.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return -1
		}
		return r
	}, s)
}

// formatLeft writes a duration as m:ss, the way a countdown reads.
func formatLeft(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
