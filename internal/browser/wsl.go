package browser

import (
	"bytes"
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
		if err != nil {
			continue
		}
		b = bytes.ToLower(b)
		if bytes.Contains(b, []byte("microsoft")) || bytes.Contains(b, []byte("wsl")) {
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

// escapeForWindows percent-encodes what no URL needs literally (RFC 3986)
// and that Windows command lines or PowerShell treat specially: double
// quotes and backslashes (the C runtime's argument quoting), backticks,
// braces, angle brackets and carets, and non-ASCII, which includes
// PowerShell's typographic single quotes (U+2018 to U+201B).
func escapeForWindows(url string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(url); i++ {
		c := url[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"\\`{}<>^|", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
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
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("&|<>^()%!\"", s[i]) >= 0 {
			b.WriteByte('^')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
