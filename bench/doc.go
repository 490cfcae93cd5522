// Package bench measures azinteractive side by side with azidentity, the
// library its users would otherwise pick: the same scenarios, against the
// same entratest server, in the same run. It is a module of its own so that
// the library's go.mod never requires azidentity or azidentity/cache, and it
// uses only the library's public API.
//
// The scenarios are the benchmarks of this package's tests. Each benchmark
// has a sub-benchmark per library, named lib=azinteractive and
// lib=azidentity, so that benchstat -col /lib puts them side by side.
// BENCHMARKS.md at the repository root says what each measures, and has the
// results table that run.sh regenerates from results.txt.
package bench
