package jigapi

import "time"

// The contract's methods. Each is served on the fixture's own key
// "<serial>.Req.<Name>"; those marked OnBroadcast also on "_all.Req.<Name>".
var (
	JigStatus = define[NoArgs, Status]("JigStatus",
		"read the fixture's status from its controller board", OnBroadcast)
	Ping = define[NoArgs, PingResult]("Ping",
		"check that the manager answers, and what it runs on; how the fleet is discovered", OnBroadcast)
	Fib = define[FibArgs, FibResult]("Fib",
		"compute the Nth Fibonacci number", ComputeBound)
	Stats = define[NoArgs, StatsResult]("Stats",
		"the manager's request and fixture counters since it started", OnBroadcast)
)

// NoArgs is the argument of a method that takes none: the body {} (or an
// empty body).
type NoArgs struct{}

// Status is JigStatus's result: one status read of the board.
type Status struct {
	Port      string            `json:"port"`      // the serial port's path
	Connected bool              `json:"connected"` // the port is open
	Identity  string            `json:"identity"`  // the answer of the "identity" query
	State     string            `json:"state"`     // the answer of the "state" query
	Fields    map[string]string `json:"fields"`    // every query's answer, by query name
	ReadMS    float64           `json:"read_ms"`   // how long the read that produced the fields took
	ReadAt    time.Time         `json:"read_at"`   // when that read started (RFC 3339)
	// BeganBeforeMS is how long before this request reached the manager the
	// read began: concurrent status requests share a read in flight, whose
	// answers may predate the request. Omitted when the read is the
	// request's own (begun after it arrived). Both ends are on the
	// manager's clock.
	BeganBeforeMS float64 `json:"began_before_ms,omitempty"`
	Lease         *Holder `json:"lease,omitempty"` // who holds the fixture's lease; omitted if nobody
}

// FibArgs is Fib's argument. N is required: a pointer, so that a missing
// "n" is told from 0.
type FibArgs struct {
	N *int `json:"n"` // which Fibonacci number, 0 <= n <= the manager's fib.max_n
}

// FibOf is the argument asking for F(n).
func FibOf(n int) FibArgs { return FibArgs{N: &n} }

// FibResult is Fib's result.
type FibResult struct {
	N     int    `json:"n"`
	Value string `json:"value"` // F(n) in decimal: a big integer
}

// PingResult is Ping's result.
type PingResult struct {
	Serial    string  `json:"serial"`          // the fixture served
	Version   string  `json:"version"`         // the manager's version
	UptimeS   float64 `json:"uptime_s"`        // seconds since the manager started
	Port      string  `json:"port"`            // the fixture's serial port
	Connected bool    `json:"connected"`       // the port is open
	Host      string  `json:"host"`            // the fixture PC's host name
	Node      string  `json:"node"`            // the broker node the manager serves from (host:port), "" between links
	Lease     *Holder `json:"lease,omitempty"` // who holds the fixture's lease; omitted if nobody
}
