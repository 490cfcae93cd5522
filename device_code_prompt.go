package azinteractive

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// deviceCodeUI is the default device code prompt. It writes to standard error
// (standard output may be a pipe the program's data goes to, or buffered away
// under docker and notebooks), and writes exactly this:
//
//   - the service's message, one line ("To sign in, use a web browser to
//     open the page https://microsoft.com/devicelogin and enter the code
//     ABCD1234 to authenticate.");
//   - on a terminal only, below it, one countdown line ("Waiting for you to
//     sign in: the code ABCD1234 expires in 14:59"), rewritten in place each
//     second and erased when the sign-in ends, however it ends.
//
// It says nothing about how the sign-in ended: the application does, with
// the error or the account it gets back, and would otherwise repeat it.
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
// returned function stops and erases the countdown; it may be called more
// than once. m's text is already safe for a terminal (deviceCodeMessage).
func (ui *deviceCodeUI) show(m DeviceCodeMessage) (finish func()) {
	_, _ = fmt.Fprintln(ui.out, m.Message)
	if !ui.terminal || m.ExpiresOn.IsZero() {
		return func() {}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
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
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			_, _ = fmt.Fprint(ui.out, "\r\x1b[K")
		})
	}
}

// formatLeft writes a duration as m:ss, the way a countdown reads.
func formatLeft(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
