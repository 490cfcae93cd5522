package main

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
)

// scaleRow matches the rows of BenchmarkScale.
var scaleRow = regexp.MustCompile(`^Scale/cache=(\w+)/tokens=(\d+)/op=(\w+)$`)

func isScale(row string) bool { return scaleRow.MatchString(row) }

// scaleCaches are the caches of BenchmarkScale, in table order.
var scaleCaches = []string{"memory", "file", "secretservice"}

// scaleOp is one op of BenchmarkScale and the unit it is read in.
type scaleOp struct {
	op, unit, title, yLabel, file string
	// scale converts the unit to what tables and plots show.
	scale  float64
	format func(float64) string
}

var scaleOps = []scaleOp{
	{"SilentRefresh", "sec/op", "Silent refresh: GetToken redeeming the refresh token, the token replaced", "ms per GetToken", "silent-refresh.png", 1e3, fmtMs},
	{"FirstToken", "sec/op", "First token of a new scope (adding token #N+1: the fill cost)", "ms per GetToken", "first-token.png", 1e3, fmtMs},
	{"Memory", "retained-B/token", "Retained memory per cached token (live heap after GC ÷ tokens)", "KB per cached token", "retained-memory.png", 1e-3, fmtKB},
}

func fmtMs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

func fmtKB(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f KB", v)
	}
	return fmt.Sprintf("%.2f KB", v)
}

// scaleKey names a row of BenchmarkScale.
func scaleKey(cache string, tokens int, op string) string {
	return fmt.Sprintf("Scale/cache=%s/tokens=%d/op=%s", cache, tokens, op)
}

// scaleSizes returns the token counts the results have, ascending.
func scaleSizes(st *stats) []int {
	seen := map[int]bool{}
	for _, row := range st.order {
		if m := scaleRow.FindStringSubmatch(row); m != nil {
			n, _ := strconv.Atoi(m[2])
			seen[n] = true
		}
	}
	var out []int
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// scaleValue returns op's value for lib at tokens in the shown unit.
func scaleValue(st *stats, o scaleOp, cache string, tokens int, lib string) (float64, bool) {
	v, ok := st.get(o.unit, scaleKey(cache, tokens, o.op), lib)
	return v * o.scale, ok
}

func writeScale(w io.Writer, st *stats) {
	sizes := scaleSizes(st)
	if len(sizes) == 0 {
		return
	}
	fmt.Fprintf(w, "### Scale: 1 to 10,000 cached tokens\n\n")
	fmt.Fprintf(w, "BenchmarkScale, medians. Ratio = azidentity ÷ azinteractive: above 1, azinteractive is faster or smaller. "+
		"file is azinteractive's plaintext file and azidentity/cache (an encrypted file, its key in the kernel keyring); "+
		"secretservice is azinteractive's Secret Service cache, which azidentity lacks.\n\n")
	for _, o := range scaleOps {
		fmt.Fprintf(w, "#### %s\n\n", o.title)
		fmt.Fprintf(w, "| tokens | memory: azinteractive | memory: azidentity | ratio | file: azinteractive | file: azidentity | ratio | secretservice: azinteractive |\n")
		fmt.Fprintf(w, "|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, n := range sizes {
			fmt.Fprintf(w, "| %d", n)
			for _, c := range scaleCaches {
				a, aok := scaleValue(st, o, c, n, ours)
				fmt.Fprintf(w, " | %s", maybe(aok, o.format(a)))
				if c == "secretservice" {
					continue
				}
				t, tok := scaleValue(st, o, c, n, theirs)
				fmt.Fprintf(w, " | %s | %s", maybe(tok, o.format(t)), ratio(t, a, aok && tok))
			}
			fmt.Fprintf(w, " |\n")
		}
		fmt.Fprintln(w)
	}
}
