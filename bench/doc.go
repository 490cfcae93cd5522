// Package bench measures azinteractive side by side with azidentity, the
// library its users would otherwise pick: the same scenarios, against the
// same entratest server, in the same run. It is a module of its own so that
// the library's go.mod never requires azidentity's persistent cache module
// or the plotting library, and it uses only the library's public API.
//
// The scenarios are the benchmarks of this package's tests. Each benchmark
// has a sub-benchmark per library, named lib=azinteractive and
// lib=azidentity, so that benchstat -col /lib puts them side by side.
// BenchmarkScale measures what caches of 1 to 10,000 tokens cost; the others
// measure sign-ins, the warm path and a second process. BENCHMARKS.md at the
// repository root has the numbers, the plots and how to regenerate them
// (bench/run.sh).
package bench
