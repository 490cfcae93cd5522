#!/bin/sh
# Runs the bench module's benchmarks COUNT times (default 5), keeps the raw
# output in bench/results.txt, prints benchstat's comparison of the two
# libraries, and rewrites the generated section of BENCHMARKS.md (the machine,
# the results table and the must-stay figures) from it.
#
#   bench/run.sh                  # the full run
#   COUNT=3 bench/run.sh          # fewer samples: quicker, noisier
#   SCALE=0 bench/run.sh          # everything but BenchmarkScale, the long part
#   SCALE=only bench/run.sh       # BenchmarkScale alone
#   TABLES=only bench/run.sh      # no benchmarks: regenerate from bench/results.txt
#
# BenchmarkScale runs a fixed number of ops per sample (SCALE_BENCHTIME,
# default 20x): at 10,000 cached tokens one op can take seconds.
#
# Every number is wall-clock time: compare the two libraries within one run.
set -eu
cd "$(dirname "$0")"

count=${COUNT:-5}
scale=${SCALE:-1}
# benchstat comes from the module proxy, pinned so that the tables' format
# doesn't change under us.
benchstat="go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"

if [ "${TABLES:-}" != only ]; then
	{
		# Machine description, as go test's own "key: value" header lines.
		echo "nproc: $(nproc)"
		echo "cpu-model: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
		echo "go: $(go env GOVERSION)"
		echo "kernel: $(uname -sr)"
		echo "load-average-at-start: $(cut -d ' ' -f 1-3 /proc/loadavg)"
		if [ "$scale" != 0 ]; then
			go test -run='^$' -bench='^BenchmarkScale$' -benchtime="${SCALE_BENCHTIME:-20x}" -benchmem -count="$count" -timeout=180m .
		fi
		if [ "$scale" != only ]; then
			go test -run='^$' -bench=. -skip='^BenchmarkScale$' -benchmem -count="$count" -timeout=90m .
		fi
	} 2>&1 | tee results.txt.tmp
	if ! grep -q '^ok' results.txt.tmp || grep -q -e '^FAIL' -e '^--- FAIL' results.txt.tmp; then
		echo "run.sh: the benchmarks failed (output in bench/results.txt.tmp)" >&2
		exit 1
	fi
	mv results.txt.tmp results.txt
fi

# table_awk reads benchstat -col /lib -format csv and prints the results
# table and the must-stay figures (issues 21 and 22) as Markdown.
table_awk='
BEGIN { FS = "," }
$1 == "" && $2 != "azinteractive" { unit = $2; next }
$1 == "" || $1 ~ /^geomean/ || $1 ~ /^[a-z-]+: / { next }
{
	name = $1; sub(/-[0-9]+$/, "", name)
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
	if ($2 != "") ours[name, unit] = $2
	if ($4 != "") theirs[name, unit] = $4
	units[name] = units[name] " " unit
}
function t(s) {
	if (s == "") return "–"
	s += 0
	if (s < 1e-6) return sprintf("%.3g ns", s * 1e9)
	if (s < 1e-3) return sprintf("%.3g µs", s * 1e6)
	if (s < 1) return sprintf("%.3g ms", s * 1e3)
	return sprintf("%.3g s", s)
}
function v(s) { return s == "" ? "–" : (s + 0 >= 1000 ? sprintf("%.0f", s + 0) : sprintf("%.4g", s + 0)) }
function ratio(a, b) { return (a == "" || b == "" || a + 0 == 0) ? "–" : sprintf("%.3g×", b / a) }
# counts: the metrics other than time and allocations, "metric ours / theirs".
function counts(name,   out, k, u, m, i, nu) {
	out = ""
	nu = split("requests/op token-requests/op devicecode-requests/op prompts/op sends/op served/op ms-late/op deadline-errors/op retained-B/token", m, " ")
	for (i = 1; i <= nu; i++) {
		u = m[i]
		if ((name, u) in ours || (name, u) in theirs)
			out = out (out == "" ? "" : "; ") u " " v(ours[name, u]) " / " v(theirs[name, u])
	}
	return out
}
function pf(ok) { return ok ? "pass" : "**fail**" }
END {
	print "| benchmark | azinteractive | azidentity | ratio | other metrics (azinteractive / azidentity) |"
	print "|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		k = order[i]
		if (k ~ /op=Memory$/) { a = ""; b = "" } else { a = ours[k, "sec/op"]; b = theirs[k, "sec/op"] }
		c = counts(k)
		if (a == "" && b == "" && c == "") continue
		printf "| `%s` | %s | %s | %s | %s |\n", k, t(a), t(b), ratio(a, b), c
	}
	print ""
	print "### Figures that must hold (issues 21 and 22)"
	print ""
	print "The limits are the issues: 7.56 ms and 41.7 ms are the times issue 21 started from."
	print ""
	print "| figure | must stay | measured | |"
	print "|---|---|---|---|"
	worst = ""
	for (i = 1; i <= n; i++) {
		k = order[i]
		if (k ~ /^WarmGetToken\/tokens=/ && (k, "sec/op") in ours && (k, "sec/op") in theirs) {
			r = theirs[k, "sec/op"] / ours[k, "sec/op"]
			if (worst == "" || r < worst) { worst = r; wk = k }
		}
	}
	printf "| warm `GetToken` (worst of tokens=1…1000) | ≥ 50× azidentity | %.3g× (`%s`) | %s |\n", worst, wk, pf(worst >= 50)
	k = "AuthenticateThenCAERequest"
	printf "| prompts for Authenticate then CAE | 1 | %s | %s |\n", v(ours[k, "prompts/op"]), pf(ours[k, "prompts/op"] == 1)
	k = "SecondProcess/authority=public/cache=encrypted"
	printf "| second process, requests | 0 | %s | %s |\n", v(ours[k, "requests/op"]), pf(ours[k, "requests/op"] == 0)
	a = ours[k, "sec/op"]; b = theirs[k, "sec/op"]
	printf "| second process, time (Secret Service) | ≤ 7.56 ms; goal ≤ azidentity | %s vs azidentity %s | %s%s |\n", t(a), t(b), pf(a <= 0.00756), (a <= b ? ", goal met" : ", goal not met")
	k = "RefreshProcess/cache=encrypted"
	printf "| refresh process, requests | 1 | %s (azidentity %s) | %s |\n", v(ours[k, "requests/op"]), v(theirs[k, "requests/op"]), pf(ours[k, "requests/op"] == 1)
	a = ours[k, "sec/op"]; b = theirs[k, "sec/op"]
	printf "| refresh process, time (default Linux store) | < 41.7 ms; goal ≤ azidentity | %s vs azidentity %s | %s%s |\n", t(a), t(b), pf(a < 0.0417), (a <= b ? ", goal met" : ", goal not met")
	k = "Offline"
	printf "| offline new credential | ≤ 5 ms, 0 sends | %s, %s sends | %s |\n", t(ours[k, "sec/op"]), v(ours[k, "sends/op"]), pf(ours[k, "sec/op"] <= 0.005 && ours[k, "sends/op"] == 0)
	split("memory file", cs, " ")
	for (j = 1; j <= 2; j++) {
		a = ours["Scale/cache=" cs[j] "/tokens=1/op=SilentRefresh", "sec/op"]
		b = ours["Scale/cache=" cs[j] "/tokens=1000/op=SilentRefresh", "sec/op"]
		if (a == "" || b == "") continue
		printf "| silent refresh at 1,000 tokens, %s | flat (≤ 1.25× 1 token) | %s vs %s | %s |\n", cs[j], t(b), t(a), pf(b <= 1.25 * a)
	}
	for (j = 1; j <= 2; j++) {
		k = "Scale/cache=" cs[j] "/tokens=1000/op=FirstToken"
		a = ours[k, "sec/op"]; b = theirs[k, "sec/op"]
		if (a == "" || b == "") continue
		printf "| fill cost per token at 1,000, %s | ≤ 1.5× azidentity | %s vs %s | %s |\n", cs[j], t(a), t(b), pf(a <= 1.5 * b)
	}
	for (i = 1; i <= n; i++) {
		k = order[i]
		if (k !~ /^Storm\/callers=1000\/delay=2s$/) continue
		printf "| storm: 1,000 callers, distinct scopes, 2 s endpoint | all served | %s served (azidentity %s) | %s |\n", v(ours[k, "served/op"]), v(theirs[k, "served/op"]), pf(ours[k, "served/op"] == 1000)
	}
}
'

# The CSV has one section per unit; table_awk turns it into Markdown, which
# replaces what lies between the markers in BENCHMARKS.md.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$benchstat -col /lib results.txt
$benchstat -col /lib -format csv results.txt >"$tmp/stats.csv" 2>/dev/null
{
	echo '<!-- generated by bench/run.sh from bench/results.txt: edits are lost -->'
	echo
	echo "Machine: $(sed -n 's/^cpu-model: //p' results.txt), $(sed -n 's/^nproc: //p' results.txt) CPUs," \
		"$(sed -n 's/^kernel: //p' results.txt), $(sed -n 's/^go: //p' results.txt);" \
		"load average at start $(sed -n 's/^load-average-at-start: //p' results.txt)."
	echo
	awk "$table_awk" "$tmp/stats.csv"
	echo
	echo '<!-- end of generated section -->'
} >"$tmp/section.md"
awk -v section="$tmp/section.md" '
	/^<!-- generated by bench\/run.sh/ { while ((getline l < section) > 0) print l; skip = 1; next }
	/^<!-- end of generated section -->/ { skip = 0; next }
	!skip
' ../BENCHMARKS.md >"$tmp/BENCHMARKS.md"
mv "$tmp/BENCHMARKS.md" ../BENCHMARKS.md
echo "BENCHMARKS.md updated from bench/results.txt"
