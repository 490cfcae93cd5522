package browser

import (
	"bytes"
	"fmt"
	"strings"
)

// isWSL reports whether this Linux is WSL: from its variables, set for
// processes started from Windows, or the kernel's release string
// ("5.15.153.1-microsoft-standard-WSL2").
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

// wslCommands open url in the Windows browser, best first: wslview knows the
// default browser, Start-Process needs one quote escaped, start many.
func wslCommands(url string) [][]string {
	u := escapeForWindows(url)
	return [][]string{
		{"wslview", u},
		{"powershell.exe", "-NoProfile", "-NonInteractive", "-Command", "Start-Process " + powershellQuote(u)},
		{"cmd.exe", "/c", "start", cmdEscaper.Replace(u)},
	}
}

// windowsCommandPaths are where WSL mounts Windows' own commands, for when
// Windows' PATH isn't appended to ours (appendWindowsPath=false in wsl.conf).
var windowsCommandPaths = map[string]string{
	"powershell.exe": "/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe",
	"cmd.exe":        "/mnt/c/Windows/System32/cmd.exe",
}

// escapeForWindows percent-encodes what no URL needs literally and Windows
// command lines or PowerShell treat specially, including non-ASCII for
// PowerShell's typographic quotes (U+2018 to U+201B).
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

// powershellQuote makes s a single-quoted PowerShell literal, in which only
// "'" is special once escapeForWindows has removed its look-alikes.
func powershellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// cmdEscaper escapes cmd.exe's metacharacters, "%" included (variables), with
// carets; quoting would make start take the URL as a window title.
var cmdEscaper = strings.NewReplacer("&", "^&", "|", "^|", "<", "^<", ">", "^>", "^", "^^",
	"(", "^(", ")", "^)", "%", "^%", "!", "^!", `"`, `^"`)
