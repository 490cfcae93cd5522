//go:build ignore

// Summary reads the events of go tool test2json on standard input and prints,
// for each package, how many tests and subtests passed, failed and were
// skipped, and why each skipped one was. It exits 1 if a test or package
// failed, or if a package reported no result (a crash, say).
//
// Usage: go run .ci/wine/summary.go < events.json
package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type counts struct{ pass, fail, skip int }

type pkgResult struct {
	tests, subtests counts
	result          string // the package's own pass or fail
	output          map[string][]string
	skipped         []string
}

func main() {
	pkgs := map[string]*pkgResult{}
	var order []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		p := pkgs[e.Package]
		if p == nil {
			p = &pkgResult{output: map[string][]string{}}
			pkgs[e.Package] = p
			order = append(order, e.Package)
		}
		if e.Test == "" {
			if e.Action == "pass" || e.Action == "fail" {
				p.result = e.Action
			}
			continue
		}
		c := &p.tests
		if strings.Contains(e.Test, "/") {
			c = &p.subtests
		}
		switch e.Action {
		case "output":
			p.output[e.Test] = append(p.output[e.Test], e.Output)
		case "pass":
			c.pass++
		case "fail":
			c.fail++
		case "skip":
			c.skip++
			p.skipped = append(p.skipped, e.Test)
		}
	}
	failed := false
	for _, name := range order {
		p := pkgs[name]
		fmt.Printf("  %s: %s; tests %d passed, %d failed, %d skipped; subtests %d passed, %d failed, %d skipped\n",
			name, cmp.Or(p.result, "NO RESULT"), p.tests.pass, p.tests.fail, p.tests.skip, p.subtests.pass, p.subtests.fail, p.subtests.skip)
		slices.Sort(p.skipped)
		for _, t := range p.skipped {
			fmt.Printf("    skipped %s: %s\n", t, reason(p.output[t]))
		}
		failed = failed || p.result != "pass" || p.tests.fail+p.subtests.fail > 0
	}
	if failed {
		os.Exit(1)
	}
}

// reason is what a skipped test logged, minus go test's own lines.
func reason(lines []string) string {
	var r []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		r = append(r, l)
	}
	return cmp.Or(strings.Join(r, " "), "(no reason given)")
}
