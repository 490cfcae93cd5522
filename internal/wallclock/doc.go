// Package wallclock reads the wall clock alone, as cheaply as the platform
// allows. Token expiry is judged on the wall clock, because Go's monotonic
// clock stops while a laptop sleeps; time.Now reads both clocks, and on the
// warm GetToken path the clock is most of the cost.
//
// On linux/amd64 the reading is the kernel's coarse wall clock
// (CLOCK_REALTIME_COARSE, read through the vDSO: the time of the last timer
// tick) plus two ticks, so it reads a few milliseconds (two to three ticks of
// 1–10 ms) ahead of the precise clock, and behind it only when the kernel's
// tick is late by more than a tick. Either error is harmless: a warm token is
// served only until five minutes before it expires. Elsewhere it is time.Now.
package wallclock
