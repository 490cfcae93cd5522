#!/bin/sh
# Runs every benchmark of the bench module COUNT times (default 6), keeps the
# raw output in bench/results.txt, and regenerates the tables of
# BENCHMARKS.md from benchstat's comparison of the two libraries.
#
#   bench/run.sh              # the full run: about 8 minutes on 2 cores
#   COUNT=1 bench/run.sh      # a quick look (benchstat can't tell noise then)
#
# Run it on an otherwise idle machine: every number is wall-clock time.
set -eu
cd "$(dirname "$0")"

count=${COUNT:-6}
# benchstat comes from the module proxy, pinned so that the tables' format
# doesn't change under us.
benchstat="go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"

{
	# Machine description, as go test's own "key: value" header lines.
	echo "nproc: $(nproc)"
	echo "cpu-model: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "go: $(go env GOVERSION)"
	echo "kernel: $(uname -sr)"
	echo "load-average-at-start: $(cut -d ' ' -f 1-3 /proc/loadavg)"
	go test -run='^$' -bench=. -benchmem -count="$count" -timeout=90m .
} 2>&1 | tee results.txt.tmp
if ! grep -q '^ok' results.txt.tmp || grep -q -e '^FAIL' -e '^--- FAIL' results.txt.tmp; then
	echo "run.sh: the benchmarks failed; BENCHMARKS.md is unchanged (output in bench/results.txt.tmp)" >&2
	exit 1
fi
mv results.txt.tmp results.txt

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$benchstat -col /lib results.txt >"$tmp/stats.txt"
$benchstat -col /lib -format csv results.txt >"$tmp/stats.csv" 2>/dev/null
go run ./internal/benchtable -csv "$tmp/stats.csv" -text "$tmp/stats.txt" -results results.txt -out ../BENCHMARKS.md
echo "BENCHMARKS.md updated from bench/results.txt"
