package browser

import "slices"

// Headless reports whether no browser is expected to be visible to the user,
// and why, from the environment (env is os.Getenv in production) and the
// operating system (runtime.GOOS).
//
// A machine is headless when:
//   - the session is over SSH (SSH_CONNECTION or SSH_TTY) without X11 or
//     Wayland forwarding: a browser would open, if anywhere, on the remote
//     machine's screen, not the user's;
//   - on Linux and the BSDs, there is no DISPLAY or WAYLAND_DISPLAY, except
//     under WSL, where the Windows browser opens;
//   - the platform has no browser at all (js, wasip1, ios, android).
//
// $BROWSER overrides all of these: it is the user's (or VS Code's, in dev
// containers and Codespaces) statement of how to open one.
func Headless(env func(string) string, goos string) (bool, string) {
	display := env("DISPLAY") != "" || env("WAYLAND_DISPLAY") != ""
	wsl := goos == "linux" && (env("WSL_DISTRO_NAME") != "" || env("WSL_INTEROP") != "")
	switch {
	case env("BROWSER") != "":
		return false, ""
	case (env("SSH_CONNECTION") != "" || env("SSH_TTY") != "") && !display:
		return true, "this is an SSH session without a forwarded display"
	case !display && !wsl && slices.Contains([]string{"linux", "freebsd", "openbsd", "netbsd", "dragonfly", "solaris", "illumos", "aix"}, goos):
		return true, "neither DISPLAY nor WAYLAND_DISPLAY is set"
	case slices.Contains([]string{"js", "wasip1", "ios", "android"}, goos):
		return true, "there is no browser to open on " + goos
	}
	return false, ""
}
