#!/bin/sh
# Runs the bench module's benchmarks COUNT times (default 5), keeps the raw
# output in bench/results.txt, and regenerates the generated section of
# BENCHMARKS.md (tables, issue #15's goals) and the plots in bench/plots/
# from benchstat's comparison of the two libraries.
#
#   bench/run.sh                  # the full run (see BENCHMARKS.md for how long)
#   COUNT=3 bench/run.sh          # fewer samples: quicker, noisier
#   SCALE=0 bench/run.sh          # everything but BenchmarkScale, the long part
#   SCALE=only bench/run.sh       # BenchmarkScale alone
#   TABLES=only bench/run.sh      # no benchmarks: regenerate from bench/results.txt
#
# BenchmarkScale runs a fixed number of ops per sample (SCALE_BENCHTIME,
# default 20x): at 10,000 cached tokens one op can take seconds. Its
# 10,000-token in-memory fixtures are filled through the library, one
# GetToken per token, which takes as long as the library's fill cost makes
# it (minutes, when that cost grows with the cache).
#
# Run it on an otherwise idle machine: every number is wall-clock time.
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
		echo "run.sh: the benchmarks failed; BENCHMARKS.md is unchanged (output in bench/results.txt.tmp)" >&2
		exit 1
	fi
	mv results.txt.tmp results.txt
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$benchstat -col /lib results.txt >"$tmp/stats.txt"
$benchstat -col /lib -format csv results.txt >"$tmp/stats.csv" 2>/dev/null
baseline=
if [ -f baseline-before-scale.txt ]; then
	$benchstat -col /lib -format csv baseline-before-scale.txt >"$tmp/before.csv" 2>/dev/null
	baseline="-baseline-csv $tmp/before.csv"
fi
# shellcheck disable=SC2086 # $baseline is two words or none
go run ./internal/benchtable -csv "$tmp/stats.csv" -text "$tmp/stats.txt" -results results.txt \
	-out ../BENCHMARKS.md -plots plots $baseline
echo "BENCHMARKS.md and bench/plots updated from bench/results.txt"
