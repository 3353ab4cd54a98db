package jigapi

import (
	"time"

	"github.com/jigmq/jigmq/jig"
)

// StatsResult is Stats's result.
type StatsResult struct {
	Serial  string       `json:"serial"`
	UptimeS float64      `json:"uptime_s"`
	Server  ServerStats  `json:"server"`
	Fixture FixtureStats `json:"fixture"`
}

// ServerStats are a manager's request counters since it started.
type ServerStats struct {
	Since      time.Time              `json:"since"`      // when the server started
	Methods    map[string]MethodStats `json:"methods"`    // by method name
	Dropped    uint64                 `json:"dropped"`    // no reply_to, no correlation_id, bad key
	Expired    uint64                 `json:"expired"`    // not answered: its deadline passed before it ran or finished
	Rejected   uint64                 `json:"rejected"`   // not from a controller user
	Reconnects uint64                 `json:"reconnects"` // broker links lost and rebuilt
	InFlight   int64                  `json:"in_flight"`  // requests being handled now
	Node       string                 `json:"node"`       // the broker node served from now (host:port), "" between links
}

// MethodStats are one method's counters.
type MethodStats struct {
	Requests    uint64    `json:"requests"`
	Errors      uint64    `json:"errors"`                 // error replies
	LastError   string    `json:"last_error,omitempty"`   // the last error reply's code and message
	LastErrorAt time.Time `json:"last_error_at,omitzero"` // when it was sent
	AvgMS       float64   `json:"avg_ms"`                 // mean handling time
	MaxMS       float64   `json:"max_ms"`                 // longest handling time
}

// FixtureStats are the serial side's counters: the board driver's own
// (jig.Stats), and whether the port is open now.
type FixtureStats struct {
	Connected bool `json:"connected"`
	jig.Stats
}
