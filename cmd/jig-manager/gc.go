package main

import (
	"os"
	"runtime/debug"
)

// computeGCPercent is the manager's GOGC unless the environment sets one.
//
// Why not Go's 100: the manager's live heap is 1 to 2 MB, so at 100 the
// collector runs every 4 MB allocated, and a Fib(10^6) reply allocates
// about 3 (its big integers, 209 KB of digits, their JSON): under a stream
// of Fib requests it ran 1.4 times per reply, each run two stop-the-world
// pauses that a status read in flight waits out, and each pause waits in
// turn for the compute thread, at nice 19, to be scheduled and stop. At 400
// the heap's goal is 16 MB (the 4 MB minimum times 4): ten times fewer
// collections for those 12 MB more. Where memory is the bound (a flood of
// large bodies), the unit's GOMEMLIMIT=64MiB makes the collector run
// earlier whatever this says.
const computeGCPercent = 400

// tuneGC sets computeGCPercent, unless GOGC is set in the environment.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(computeGCPercent)
	}
}
