package jig

import (
	"sync/atomic"
	"time"
)

// Stats are a Device's counters, for monitoring. The JSON form is meant to
// be embedded as-is in a manager's own report.
type Stats struct {
	// Reads is status reads attempted (each runs every query).
	Reads uint64 `json:"reads"`
	// CoalescedReads is Status calls answered by a read already in flight.
	CoalescedReads uint64 `json:"coalesced_reads"`
	// Errors is status reads that failed.
	Errors uint64 `json:"errors"`
	// Commands is command lines written for callers (status queries and
	// Device.Do), not counting resync probes and fences.
	Commands uint64 `json:"commands"`
	// Reconnects is successful opens of the port after the first.
	Reconnects uint64 `json:"reconnects"`
	// UnsolicitedLines is lines that arrived with no command outstanding:
	// discarded, never answers.
	UnsolicitedLines uint64 `json:"unsolicited_lines"`
	// EchoesSkipped is echoed command lines taken for echoes, not answers.
	EchoesSkipped uint64 `json:"echoes_skipped"`
	// Resyncs is re-synchronisations that brought the line back in step;
	// ResyncFailures those that did not.
	Resyncs        uint64 `json:"resyncs"`
	ResyncFailures uint64 `json:"resync_failures"`
	// PatternMismatches is answers refused for not matching their query's
	// pattern, or, to the probe's command (sent twice), the probe's answer.
	PatternMismatches uint64 `json:"pattern_mismatches"`
	// FenceFailures is conversations whose fence was answered by another
	// line: an answer of theirs was out of step, and none was trusted.
	FenceFailures uint64 `json:"fence_failures"`
	// OwedAnswers is commands left unanswered (by their query timeout, a
	// caller giving up, or another line refused in their answer's place)
	// whose answers were then awaited before the next command (Resync.Late).
	OwedAnswers uint64 `json:"owed_answers"`
	// LastReadAt is the end of the last successful status read.
	LastReadAt time.Time `json:"last_read_at,omitzero"`
}

// counters are the live form of Stats.
type counters struct {
	reads, coalesced, errs, commands, reconnects atomic.Uint64
	unsolicited, echoes, resyncs, resyncFails    atomic.Uint64
	mismatches, fenceFails, owed                 atomic.Uint64
	lastRead                                     atomic.Int64 // unix nanoseconds
}

// Stats returns the counters.
func (d *Device) Stats() Stats {
	c := &d.count
	s := Stats{
		Reads: c.reads.Load(), CoalescedReads: c.coalesced.Load(), Errors: c.errs.Load(),
		Commands: c.commands.Load(), Reconnects: c.reconnects.Load(),
		UnsolicitedLines: c.unsolicited.Load(), EchoesSkipped: c.echoes.Load(),
		Resyncs: c.resyncs.Load(), ResyncFailures: c.resyncFails.Load(),
		PatternMismatches: c.mismatches.Load(), FenceFailures: c.fenceFails.Load(),
		OwedAnswers: c.owed.Load(),
	}
	if ns := c.lastRead.Load(); ns != 0 {
		s.LastReadAt = time.Unix(0, ns)
	}
	return s
}
