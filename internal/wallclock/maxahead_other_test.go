//go:build !(linux && amd64)

package wallclock

// maxAhead is how far ahead of time.Now a reading may be: it is time.Now.
const maxAhead = 0
