package azinteractive

import (
	"context"
	"fmt"
	"io"
)

// defaultDeviceCodePrompt writes the service's instructions to out (standard
// error by default: standard output may be a pipe the program's data goes to,
// or buffered away under docker and notebooks).
func defaultDeviceCodePrompt(out io.Writer) func(context.Context, DeviceCodeMessage) error {
	return func(_ context.Context, m DeviceCodeMessage) error {
		_, err := fmt.Fprintln(out, m.Message)
		return err
	}
}
