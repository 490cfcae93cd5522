package azinteractive_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snippet returns the lines of example_test.go between "// snippet: name"
// and "// end snippet", without their common indentation.
func snippet(t *testing.T, name string) string {
	b, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(b), "// snippet: "+name+"\n")
	require.True(t, ok, "no snippet %q in example_test.go", name)
	body, _, ok := strings.Cut(rest, "// end snippet")
	require.True(t, ok)
	return dedent(body)
}

func dedent(s string) string {
	lines := strings.Split(strings.TrimRight(s, " \t\n"), "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "\t"))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent {
			lines[i] = l[indent:]
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestDocSnippets keeps the code users copy compiling: README's migration
// snippet and doc.go's complete program are examples in example_test.go,
// which the compiler checks, and must stay the same text.
func TestDocSnippets(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), "```go\n"+snippet(t, "migration")+"```", "README's migration snippet is Example_migration's")

	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	_, program, ok := strings.Cut(string(doc), "\tfunc main() {\n")
	require.True(t, ok, "doc.go has no complete program")
	program, _, _ = strings.Cut(program, "\n\t}\n")
	assert.Equal(t, snippet(t, "complete program"), dedent(program), "doc.go's complete program is Example_completeProgram's")
	assert.Contains(t, string(doc), "\t\t\"github.com/azinteractive/azinteractive/cache\"\n", "the program imports what it uses")
}

// TestReadmeLinksStayInside: README links only to files of this repository
// (users of the module have no ../shared), and every one exists; nothing in
// it shadows a package name with a variable.
func TestReadmeLinksStayInside(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	links := regexp.MustCompile(`\]\(([^)]*)\)`).FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, links)
	for _, l := range links {
		target := l[1]
		if strings.HasPrefix(target, "#") {
			continue
		}
		assert.NotContains(t, target, "://", "README links outside the repository: %s", target)
		assert.False(t, strings.HasPrefix(filepath.Clean(target), ".."), "README links outside the repository: %s", target)
		file, _, _ := strings.Cut(target, "#")
		_, err := os.Stat(file)
		assert.NoError(t, err, "README links to a missing file: %s", target)
	}
	assert.NotContains(t, string(readme), "../shared")
	assert.NotRegexp(t, `\bcache, err :?= cache\.New`, string(readme), "a variable named cache shadows the package")
}
