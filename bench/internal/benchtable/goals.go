package main

import (
	"fmt"
	"io"
	"math"
)

// goal is one row of issue #15's table: the scenario, what the issue
// measured (outside bench/, azinteractive and azidentity), the goal, and
// how to read the measurement and judge it from a run's medians.
type goal struct {
	scenario, issue, goal string
	// eval returns azinteractive's value, azidentity's, whether the goal is
	// met, and whether the run has the numbers at all.
	eval func(st *stats) (value, theirs string, met, ok bool)
}

var goals = []goal{
	{"silent refresh, 1 cached token", "1.95 ms / 1.78 ms", "≤ azidentity", silentRefresh("memory", 1, false)},
	{"silent refresh, 100 cached tokens", "4.15 ms / 1.80 ms", "≤ azidentity", silentRefresh("memory", 100, false)},
	{"silent refresh, 1000 cached tokens", "23 ms / 1.95 ms", "≤ azidentity, flat in cache size (here: ≤ 1.25× the 1-token time)", silentRefresh("memory", 1000, true)},
	{"silent refresh, persistent cache (file), 1000 tokens", "28 ms / 67 ms", "≤ 1/10 of azidentity", func(st *stats) (string, string, bool, bool) {
		a, aok := st.get("sec/op", scaleKey("file", 1000, "SilentRefresh"), ours)
		t, tok := st.get("sec/op", scaleKey("file", 1000, "SilentRefresh"), theirs)
		v := fmtTime(a)
		if ss, ok := st.get("sec/op", scaleKey("secretservice", 1000, "SilentRefresh"), ours); ok {
			v += fmt.Sprintf(" (Secret Service: %s)", fmtTime(ss))
		}
		return v, fmtTime(t), a <= t/10, aok && tok
	}},
	{"adding token #N to a cache of 10,000 (fill cost per token)", "118 ms / 2.7 ms", "flat: ≤ 1 ms per token at any N (here: first token at N minus at 1 token, in-memory cache, every N)", func(st *stats) (string, string, bool, bool) {
		a, aok := st.get("sec/op", scaleKey("memory", 10000, "FirstToken"), ours)
		t, tok := st.get("sec/op", scaleKey("memory", 10000, "FirstToken"), theirs)
		one, ok1 := st.get("sec/op", scaleKey("memory", 1, "FirstToken"), ours)
		if !aok || !ok1 {
			return "", "", false, false
		}
		worst := 0.0
		for _, n := range scaleSizes(st) {
			if v, ok := st.get("sec/op", scaleKey("memory", n, "FirstToken"), ours); ok {
				worst = math.Max(worst, v-one)
			}
		}
		return fmt.Sprintf("%s (%s over 1 token; worst N: %s)", fmtTime(a), fmtTime(a-one), fmtTime(worst)),
			maybe(tok, fmtTime(t)), worst <= 1e-3, true
	}},
	{"retained memory per cached token", "6.8 KB / 2.1 KB", "≤ azidentity (here: growth from 1,000 to 10,000 tokens ÷ 9,000, in-memory cache)", func(st *stats) (string, string, bool, bool) {
		a, aok := perTokenSlope(st, ours)
		t, tok := perTokenSlope(st, theirs)
		return fmtKB(a / 1e3), maybe(tok, fmtKB(t/1e3)), aok && tok && a <= t, aok
	}},
	{"warm GetToken, serial", "114 ns, 0 allocs / 7.3 µs", "≤ 60 ns, 0 allocs, expiry judged on the wall clock (the clock isn't measured here)", func(st *stats) (string, string, bool, bool) {
		a, aok := st.get("sec/op", "WarmGetToken/tokens=1", ours)
		al, alok := st.get("allocs/op", "WarmGetToken/tokens=1", ours)
		t, tok := st.get("sec/op", "WarmGetToken/tokens=1", theirs)
		return fmt.Sprintf("%s, %s allocs", fmtTime(a), fmtCount(al)), maybe(tok, fmtTime(t)), a <= 60e-9 && al == 0, aok && alok
	}},
	{"warm GetToken, RunParallel (2 cores)", "56 ns / no scaling", "≤ 30 ns", func(st *stats) (string, string, bool, bool) {
		a, aok := st.get("sec/op", "WarmGetTokenParallel", ours)
		t, tok := st.get("sec/op", "WarmGetTokenParallel", theirs)
		return fmtTime(a), maybe(tok, fmtTime(t)), a <= 30e-9, aok
	}},
	{"second process, exec → token, Secret Service cache", "11.6 ms / (keyctl) 3.4 ms", "≤ 5 ms where azidentity takes 3.4 ms (here: ≤ 5/3.4 = 1.47× azidentity's time in the same run)", secondProcess},
}

// secondProcess reads the second-process goal at the public cloud's
// authority, as a new user has it, and shows the other authority host's
// alongside. Runs from before the authority dimension had only the
// emulator's host, which is the other one.
//
// The goal's 5 ms was set on a machine where azidentity's process took
// 3.4 ms; a process's time is mostly the machine's (exec, the dynamic
// loader, page faults, the Secret Service's own work), so it is judged as
// the ratio to azidentity's process measured in the same run, as every
// speed target here is: 5 ms or 5/3.4 of azidentity's time, whichever is
// more.
func secondProcess(st *stats) (string, string, bool, bool) {
	const public, other, old = "SecondProcess/authority=public/cache=encrypted", "SecondProcess/authority=other/cache=encrypted", "SecondProcess/cache=encrypted"
	a, aok := st.get("sec/op", public, ours)
	if !aok {
		a, aok = st.get("sec/op", old, ours)
		t, tok := st.get("sec/op", old, theirs)
		return fmtTime(a) + " (emulator host)", maybe(tok, fmtTime(t)+" (keyctl)"), secondProcessMet(a, t, tok), aok
	}
	t, tok := st.get("sec/op", public, theirs)
	v, vt := fmtTime(a), maybe(tok, fmtTime(t)+" (keyctl)")
	if tok {
		v += fmt.Sprintf(" (%.2f× azidentity)", a/t)
	}
	if o, ok := st.get("sec/op", other, ours); ok {
		v += fmt.Sprintf(" (other host: %s)", fmtTime(o))
	}
	if o, ok := st.get("sec/op", other, theirs); ok {
		vt += fmt.Sprintf(" (other host: %s)", fmtTime(o))
	}
	return v, vt, secondProcessMet(a, t, tok), aok
}

// secondProcessMet judges the second-process goal: 5 ms, scaled by
// azidentity's time in the run when there is one (see secondProcess).
func secondProcessMet(ours, theirs float64, haveTheirs bool) bool {
	limit := 5e-3
	if haveTheirs {
		limit = math.Max(limit, theirs*5/3.4)
	}
	return ours <= limit
}

func silentRefresh(cache string, n int, flat bool) func(*stats) (string, string, bool, bool) {
	return func(st *stats) (string, string, bool, bool) {
		a, aok := st.get("sec/op", scaleKey(cache, n, "SilentRefresh"), ours)
		t, tok := st.get("sec/op", scaleKey(cache, n, "SilentRefresh"), theirs)
		if !aok || !tok {
			return "", "", false, false
		}
		v, met := fmtTime(a), a <= t
		if flat {
			one, ok := st.get("sec/op", scaleKey(cache, 1, "SilentRefresh"), ours)
			if !ok {
				return "", "", false, false
			}
			v += fmt.Sprintf(" (%.2f× 1 token)", a/one)
			met = met && a <= 1.25*one
		}
		return v, fmtTime(t), met, true
	}
}

// perTokenSlope is what each token from 1,000 to 10,000 adds to the live
// heap of a credential with an in-memory cache, in bytes: the cost of a
// token without the credential's fixed cost.
func perTokenSlope(st *stats, lib string) (float64, bool) {
	hi, ok1 := st.get("retained-B", scaleKey("memory", 10000, "Memory"), lib)
	lo, ok2 := st.get("retained-B", scaleKey("memory", 1000, "Memory"), lib)
	return (hi - lo) / 9000, ok1 && ok2
}

func writeGoals(w io.Writer, st, before *stats) {
	fmt.Fprintf(w, "### Issue #15's goals\n\n")
	fmt.Fprintf(w, "\"issue\" is what the issue measured outside bench/ (azinteractive / azidentity); \"before the scale work\" is this harness's baseline run on the code before it (bench/baseline-before-scale.txt); \"now\" is this run. Medians.\n\n")
	fmt.Fprintf(w, "| scenario | issue | goal | before the scale work | now | azidentity now | met now |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|\n")
	for _, g := range goals {
		b := "—"
		if before != nil {
			if v, _, _, ok := g.eval(before); ok {
				b = v
			}
		}
		v, t, met, ok := g.eval(st)
		verdict := "no"
		switch {
		case !ok:
			v, t, verdict = "not measured in this run", "—", "—"
		case met:
			verdict = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", g.scenario, g.issue, g.goal, b, v, t, verdict)
	}
	fmt.Fprintln(w)
}
