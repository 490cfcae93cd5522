package browser

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHeadless(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		goos string
		env  map[string]string
		want bool
		why  string // part of the reason
	}{
		{"linux desktop X11", "linux", map[string]string{"DISPLAY": ":0"}, false, ""},
		{"linux desktop Wayland", "linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, false, ""},
		{"linux console", "linux", nil, true, "DISPLAY"},
		{"linux container", "linux", map[string]string{"HOME": "/root"}, true, "WAYLAND_DISPLAY"},
		{"WSL", "linux", map[string]string{"WSL_DISTRO_NAME": "Ubuntu"}, false, ""},
		{"WSL interop only", "linux", map[string]string{"WSL_INTEROP": "/run/WSL/1_interop"}, false, ""},
		{"SSH into linux", "linux", map[string]string{"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"}, true, "SSH"},
		{"SSH with X forwarding", "linux", map[string]string{"SSH_CONNECTION": "x", "DISPLAY": "localhost:10.0"}, false, ""},
		{"SSH TTY only", "linux", map[string]string{"SSH_TTY": "/dev/pts/0"}, true, "SSH"},
		{"SSH into WSL", "linux", map[string]string{"SSH_CONNECTION": "x", "WSL_DISTRO_NAME": "Ubuntu"}, true, "SSH"},
		{"BROWSER in a dev container", "linux", map[string]string{"BROWSER": "/vscode/helpers/browser.sh"}, false, ""},
		{"BROWSER over SSH", "linux", map[string]string{"BROWSER": "echo", "SSH_TTY": "/dev/pts/0"}, false, ""},
		{"freebsd console", "freebsd", nil, true, "DISPLAY"},
		{"openbsd X11", "openbsd", map[string]string{"DISPLAY": ":0"}, false, ""},
		{"macOS", "darwin", nil, false, ""},
		{"SSH into macOS", "darwin", map[string]string{"SSH_CONNECTION": "x"}, true, "SSH"},
		{"windows", "windows", nil, false, ""},
		{"SSH into windows", "windows", map[string]string{"SSH_CLIENT": "ignored", "SSH_CONNECTION": "x"}, true, "SSH"},
		{"wasm", "js", nil, true, "js"},
		{"wasip1", "wasip1", nil, true, "wasip1"},
		{"plan9", "plan9", nil, false, ""},
	} {
		env := func(k string) string { return tc.env[k] }
		got, why := Headless(env, tc.goos)
		assert.Equal(t, tc.want, got, tc.name)
		if tc.want {
			assert.Contains(t, why, tc.why, tc.name)
		} else {
			assert.Empty(t, why, tc.name)
		}
	}
}
