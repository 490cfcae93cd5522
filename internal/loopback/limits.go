package loopback

import "time"

// limits are the server's timeouts and sizes. Each is far above what a
// browser delivering a form needs, and far below what would let a stuck or
// hostile client hold the sign-in (or Close) hostage.
type limits struct {
	readHeader    time.Duration // slowloris on headers
	read          time.Duration // whole request, including a trickled body
	write         time.Duration
	idle          time.Duration // keep-alive connections between requests
	shutdownGrace time.Duration // Close waits this long for in-flight responses
	maxHeader     int
}

var defaultLimits = limits{
	readHeader:    5 * time.Second,
	read:          20 * time.Second,
	write:         20 * time.Second,
	idle:          30 * time.Second,
	shutdownGrace: time.Second,
	// Browsers send every cookie set for "localhost" (by any port's
	// application) with each request, so headers on a developer's machine
	// can be large. 64 KiB is generous for that yet 16 times below net/http's
	// default.
	maxHeader: 64 << 10,
}
