package browser

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIsWSL(t *testing.T) {
	t.Parallel()
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if s, ok := m[name]; ok {
				return []byte(s), nil
			}
			return nil, errors.New("no such file")
		}
	}
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		name  string
		env   func(string) string
		files map[string]string
		want  bool
	}{
		{"WSL2 osrelease", noEnv, map[string]string{"/proc/sys/kernel/osrelease": "5.15.153.1-microsoft-standard-WSL2\n"}, true},
		{"WSL1 version", noEnv, map[string]string{"/proc/version": "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)"}, true},
		{"env", func(k string) string { return map[string]string{"WSL_DISTRO_NAME": "Ubuntu"}[k] }, nil, true},
		{"plain linux", noEnv, map[string]string{"/proc/sys/kernel/osrelease": "6.8.0-45-generic", "/proc/version": "Linux version 6.8.0"}, false},
		{"no proc", noEnv, nil, false},
	} {
		assert.Equal(t, tc.want, isWSL(tc.env, files(tc.files)), tc.name)
	}
}

func TestWindowsQuoting(t *testing.T) {
	t.Parallel()
	const u = "https://login.example/authorize?a=1&b='x'&c=%2F&d=(e)!"
	cmds := wslCommands(u)
	assert.Equal(t, []string{"wslview", u}, cmds[0])
	assert.Equal(t, []string{"powershell.exe", "-NoProfile", "-NonInteractive", "-Command",
		"Start-Process 'https://login.example/authorize?a=1&b=''x''&c=%2F&d=(e)!'"}, cmds[1])
	assert.Equal(t, []string{"cmd.exe", "/c", "start",
		"https://login.example/authorize?a=1^&b='x'^&c=^%2F^&d=^(e^)^!"}, cmds[2])

	// What no URL needs and Windows would interpret is percent-encoded.
	assert.Equal(t, "https://x/%22%5C%60%7B%7D%3C%3E%5E%7C%E2%80%99", escapeForWindows("https://x/\"\\`{}<>^|\u2019"))
	assert.Equal(t, "'it''s $HOME `n'", powershellQuote("it's $HOME `n"))
}

func TestBrowserEnvCommands(t *testing.T) {
	t.Parallel()
	const u = "https://x/?a=1"
	for env, want := range map[string][][]string{
		"":                              nil,
		"firefox":                       {{"firefox", u}},
		"firefox:chromium --new-window": {{"firefox", u}, {"chromium", "--new-window", u}},
		"open -a Safari %s":             {{"open", "-a", "Safari", u}},
		"echo 100%% %s":                 {{"echo", "100%", u}},
		"  : :w3m":                      {{"w3m", u}},
	} {
		assert.Equal(t, want, browserEnvCommands(env, u), env)
	}
}
