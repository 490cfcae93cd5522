package browser

import "slices"

// Headless reports whether no browser is expected to be visible to the user,
// and why, from env (os.Getenv) and goos (runtime.GOOS): over SSH without a
// forwarded display (a browser would open on the remote screen), on Linux
// (but not WSL) and the BSDs without DISPLAY or WAYLAND_DISPLAY, and on
// platforms without browsers. $BROWSER, the user's (or VS Code's) statement
// of how to open one, overrides all of these.
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
