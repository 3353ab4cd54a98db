package jig_test

import (
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// pairCase is a board fault driven over many reads.
type pairCase struct {
	name  string
	board sim.Config
	mod   func(*jig.Config)
	reads int
	minOK int // at least this many reads must be ok while the fault is on
	// stays: the fault is what the config expects (echo: true), so
	// clearing it is a misconfiguration, checked to fail every read.
	stays bool
}

func pairCases() []pairCase {
	late := sim.Config{Fault: sim.FaultLate, Every: 7, Late: 150 * time.Millisecond}
	nonce := func(c *jig.Config) { c.Resync.Probe, c.Resync.Pattern = "ECHO {nonce}", "" }
	return []pairCase{
		{name: "late", board: late, reads: 200, minOK: 40},
		{name: "late-nonce-probe", board: late, mod: nonce, reads: 200, minOK: 40},
		// A board slower than the resync's quiet period: a late answer taken
		// for the probe's leaves the probe's own answer still to come.
		{name: "late-slow-board", board: sim.Config{Fault: sim.FaultLate, Every: 7, Late: 150 * time.Millisecond,
			Delay: 40 * time.Millisecond}, reads: 150, minOK: 20},
		{name: "echo-unconfigured", board: sim.Config{Fault: sim.FaultEcho, Every: 2}, reads: 300, minOK: 290},
		{name: "echo-configured", board: sim.Config{Fault: sim.FaultEcho},
			mod: func(c *jig.Config) { c.Echo = true }, reads: 300, minOK: 290, stays: true},
		{name: "banner", board: sim.Config{Fault: sim.FaultBanner, Every: 5}, reads: 300, minOK: 60},
		{name: "banner-pattern", board: sim.Config{Fault: sim.FaultBanner, Every: 5},
			mod: func(c *jig.Config) { c.Banner = "^JigSim boot" }, reads: 300, minOK: 60},
		{name: "mix", board: sim.Config{Fault: sim.FaultMix, Every: 3, Late: 150 * time.Millisecond, Seed: 11},
			reads: 250, minOK: 20},
		// Later than the resync waits (a query timeout after the probe):
		// the answer comes in the middle of a later conversation.
		{name: "very-late", board: sim.Config{Fault: sim.FaultLate, Every: 17, Late: 400 * time.Millisecond},
			reads: 150, minOK: 20},
		// Every state query answered later than the resync waits, from a
		// queue while the board answers the rest: each read's state query
		// would take the previous one's answer, its own coming after the
		// fence (no net shift). The answer owed is awaited instead, so
		// every read times out: none is ok, and none is wrong.
		{name: "always-late", board: sim.Config{Fault: sim.FaultLate, Only: "STAT?", Aside: true,
			Late: 300 * time.Millisecond}, reads: 30, minOK: 0},
		{name: "double", board: sim.Config{Fault: sim.FaultDouble, Every: 5, Late: 30 * time.Millisecond},
			reads: 200, minOK: 40},
		{name: "double-nonce-probe", board: sim.Config{Fault: sim.FaultDouble, Every: 5, Late: 30 * time.Millisecond},
			mod: nonce, reads: 200, minOK: 40},
		// A reset mid-answer is one line (the cut answer and the banner):
		// no shift for the fence to see. The banner, found anywhere in
		// the line although anchored as a user writes it, refuses it.
		{name: "reset", board: sim.Config{Fault: sim.FaultReset, Every: 5, Late: 20 * time.Millisecond},
			mod: func(c *jig.Config) { c.Banner = "^" + sim.Banner[:len("JigSim boot")] }, reads: 200, minOK: 40},
	}
}

// TestTaggedPairing drives each fault over hundreds of status reads of a
// tagged board and checks that no ok read carries an answer to another
// command, or an earlier one; then that, the fault cleared, the fixture is
// usable again: ok and correctly paired, read after read.
func TestTaggedPairing(t *testing.T) {
	for _, c := range pairCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			testPairing(t, c)
		})
	}
}

func testPairing(t *testing.T, c pairCase) {
	link := newLink(t)
	c.board.Tagged = true
	b := startBoard(t, link, c.board)
	cfg := pairConfig(link)
	if c.mod != nil {
		c.mod(&cfg)
	}
	d := openDevice(t, cfg)
	r := readTagged(t, d, b, cfg.Queries, c.reads)
	s := d.Stats()
	t.Logf("%d reads: %d ok, %d mis-paired, failed %v; stats %+v", c.reads, r.ok, r.mispaired, r.failed, s)
	if r.mispaired != 0 {
		t.Fatalf("%d ok reads carried another command's answer", r.mispaired)
	}
	if r.ok < c.minOK || r.failed["serial_unavailable"] != 0 || len(r.failed) > 2 {
		t.Errorf("want at least %d ok and only timeouts or fixture errors", c.minOK)
	}
	b.SetFault(sim.FaultNone)
	if c.stays {
		// Mostly fixture errors (no echo); a loaded machine may add a timeout.
		if r := readTagged(t, d, b, cfg.Queries, 20); r.ok != 0 || r.failed["fixture_error"] < 10 {
			t.Errorf("echo expected, none sent: %d ok, failed %v; want every read to fail", r.ok, r.failed)
		}
		return
	}
	waitFor(t, "an ok read once the fault is cleared", 10*time.Second, func() bool {
		before := b.Queries()
		st, err := status(t, d)
		return err == nil && mispaired(b, cfg.Queries, st, before) == nil
	})
	if r := readTagged(t, d, b, cfg.Queries, 20); r.ok != 20 {
		t.Errorf("after the fault: %d of 20 reads ok, failed %v", r.ok, r.failed)
	}
}

// TestUntaggedDefaults: the default configuration (the probe twice, the
// same answer; the default queries) on boards whose answers cannot be told
// apart by a tag, answering late, later than the resync waits, twice, or
// resetting mid-answer: no ok read has a wrong answer in a field.
func TestUntaggedDefaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		board sim.Config
	}{
		{"late", sim.Config{Fault: sim.FaultLate, Every: 11, Late: 150 * time.Millisecond}},
		{"very-late", sim.Config{Fault: sim.FaultLate, Every: 17, Late: 400 * time.Millisecond}},
		{"double", sim.Config{Fault: sim.FaultDouble, Every: 13, Late: 30 * time.Millisecond}},
		{"reset", sim.Config{Fault: sim.FaultReset, Every: 13, Late: 20 * time.Millisecond}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			testUntagged(t, c.board)
		})
	}
}

func testUntagged(t *testing.T, board sim.Config) {
	link := newLink(t)
	b := startBoard(t, link, board)
	cfg := pairConfig(link)
	cfg.Resync.Pattern, cfg.Queries = "", jig.DefaultConfig().Queries
	d := openDevice(t, cfg)
	ok := 0
	for range 150 {
		st, err := status(t, d)
		switch {
		case err != nil:
		case st.Identity != sim.DefaultIdentity || st.State != sim.DefaultState:
			t.Errorf("ok with a wrong answer: %+v", st.Fields)
		default:
			ok++
		}
	}
	t.Logf("150 reads: %d ok; stats %+v; board commands %d", ok, d.Stats(), b.Queries())
	if ok < 20 || d.Stats().Resyncs == 0 {
		t.Errorf("%d ok reads, stats %+v", ok, d.Stats())
	}
}
