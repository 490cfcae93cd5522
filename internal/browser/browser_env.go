package browser

import "strings"

// browserEnvCommands parses $BROWSER: a colon-separated list of commands,
// tried in order, where "%s" stands for the URL (appended when absent) and
// "%%" for a percent sign. This is the convention of Python's webbrowser,
// xdg-open and many CLIs; VS Code sets it in dev containers, Codespaces and
// remote sessions to open the browser on the user's machine, often where
// xdg-open isn't installed. Commands are split on spaces, with no shell.
func browserEnvCommands(env, url string) [][]string {
	var cmds [][]string
	for _, entry := range strings.Split(env, ":") {
		fields := strings.Fields(entry)
		if len(fields) == 0 {
			continue
		}
		substituted := false
		for i, f := range fields {
			if strings.Contains(f, "%s") {
				substituted = true
			}
			f = strings.ReplaceAll(f, "%%", "\x00")
			f = strings.ReplaceAll(f, "%s", url)
			fields[i] = strings.ReplaceAll(f, "\x00", "%")
		}
		if !substituted {
			fields = append(fields, url)
		}
		cmds = append(cmds, fields)
	}
	return cmds
}
