package browser

import (
	"bytes"
	"fmt"
	"strings"
)

// isWSL reports whether this Linux is Windows Subsystem for Linux, where
// the browser to open is Windows'. WSL sets WSL_DISTRO_NAME and WSL_INTEROP
// for processes started from Windows; the kernel's release string names
// Microsoft in any case ("5.15.153.1-microsoft-standard-WSL2").
func isWSL(getenv func(string) string, readFile func(string) ([]byte, error)) bool {
	if getenv("WSL_DISTRO_NAME") != "" || getenv("WSL_INTEROP") != "" {
		return true
	}
	for _, f := range []string{"/proc/sys/kernel/osrelease", "/proc/version"} {
		b, err := readFile(f)
		b = bytes.ToLower(b)
		if err == nil && (bytes.Contains(b, []byte("microsoft")) || bytes.Contains(b, []byte("wsl"))) {
			return true
		}
	}
	return false
}

// wslCommands are the ways to open url in the Windows browser, best first:
// wslview (from wslu) knows the user's default browser; PowerShell's
// Start-Process needs only quoting of one character; cmd.exe's start needs
// caret escapes and is the last resort.
func wslCommands(url string) [][]string {
	u := escapeForWindows(url)
	return [][]string{
		{"wslview", u},
		{"powershell.exe", "-NoProfile", "-NonInteractive", "-Command", "Start-Process " + powershellQuote(u)},
		{"cmd.exe", "/c", "start", cmdEscape(u)},
	}
}

// windowsCommandPaths are where WSL mounts Windows' own commands, for when
// Windows' PATH isn't appended to ours (appendWindowsPath=false in wsl.conf).
var windowsCommandPaths = map[string]string{
	"powershell.exe": "/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe",
	"cmd.exe":        "/mnt/c/Windows/System32/cmd.exe",
}

// findWindowsCommand finds name on PATH, or at its usual place under /mnt/c.
func (s system) findWindowsCommand(name string) (string, bool) {
	for _, p := range []string{name, windowsCommandPaths[name]} {
		if p == "" {
			continue
		}
		if path, err := s.lookPath(p); err == nil {
			return path, true
		}
	}
	return "", false
}

// escapeForWindows percent-encodes what no URL needs literally (RFC 3986)
// and that Windows command lines or PowerShell treat specially: double
// quotes and backslashes (the C runtime's argument quoting), backticks,
// braces, angle brackets and carets, and non-ASCII, which includes
// PowerShell's typographic single quotes (U+2018 to U+201B).
func escapeForWindows(url string) string {
	var b strings.Builder
	for _, c := range []byte(url) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"\\`{}<>^|", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// powershellQuote makes s a PowerShell single-quoted string literal, in which
// only the single quote is special (it is doubled); $ and ` are literal.
// Non-ASCII quote look-alikes must be gone already (escapeForWindows).
func powershellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// cmdEscape escapes cmd.exe's metacharacters with carets, so that
// "a?x=1&y=2" stays one argument to start instead of running "y=2". The URL
// isn't quoted: start would take a quoted first argument as a window title.
// "%" is escaped too, so that "%2F...%" can't expand a variable.
func cmdEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if strings.IndexByte("&|<>^()%!\"", c) >= 0 {
			b.WriteByte('^')
		}
		b.WriteByte(c)
	}
	return b.String()
}
