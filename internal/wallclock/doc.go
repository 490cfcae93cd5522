// Package wallclock reads the wall clock alone, as cheaply as the platform
// allows. Token expiry is judged on the wall clock, because Go's monotonic
// clock stops while a laptop sleeps; time.Now reads both clocks, and on the
// warm GetToken path the second read is a third of the cost.
package wallclock
