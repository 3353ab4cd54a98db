package jig_test

import (
	"context"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// lateStateBoard is a board whose STAT? is answered late from a queue
// while it answers the rest at once, read with a nonce probe (the
// short wait after it) and the default queries (the state's pattern), its
// owed answers awaited 2 s; in step, and answering BUSY.
func lateStateBoard(t *testing.T, late time.Duration) (*sim.Board, *jig.Device) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Fault: sim.FaultLate, Only: "STAT?", Aside: true, Late: late})
	cfg := testConfig(link)
	cfg.Resync.Probe, cfg.Resync.Late = "ECHO {nonce}", 2*time.Second
	d := openDevice(t, cfg)
	b.SetFault(sim.FaultNone)
	mustStatus(t, d)
	b.SetFault(sim.FaultLate)
	b.SetState("BUSY")
	return b, d
}

// TestOwedNotPaidByChatter: the state query times out and its answer
// (BUSY) is owed; the board then says something unasked that cannot be a
// state (an event, an error report). It must not pay the debt: the next
// read would take the late BUSY for its own state query, the board READY
// by then. (A one-word line would match the state's pattern, and pay: a
// documented limit.)
func TestOwedNotPaidByChatter(t *testing.T) {
	for _, say := range []string{"EVENT: lid closed", `ERR -350,"Queue overflow"`} {
		t.Run(say, func(t *testing.T) {
			b, d := lateStateBoard(t, 500*time.Millisecond)
			if _, err := status(t, d); err == nil {
				t.Fatal("a read with its state answered late was ok")
			}
			b.Say(say)
			b.SetState("READY")
			if st, err := status(t, d); err == nil && st.State != "READY" {
				t.Errorf("ok with state %q, the answer to the read before; stats %+v", st.State, d.Stats())
			}
		})
	}
}

// TestOwedAfterRefusedLine: a line the board sends unasked takes the
// state query's place and is refused (no state); the query's answer is
// still owed, and the next read must not take it for its own. (The answer
// comes 250 ms after the query: while the next read's state query waits,
// were that read to begin at once.)
func TestOwedAfterRefusedLine(t *testing.T) {
	b, d := lateStateBoard(t, 250*time.Millisecond)
	done := make(chan error, 1)
	go func() { _, err := status(t, d); done <- err }()
	waitFor(t, "STAT? sent", 5*time.Second, func() bool { cmd, _ := b.Command(b.Queries()); return cmd == "STAT?" })
	b.Say("lid closed!")
	if err := <-done; err == nil {
		t.Fatal("a read whose state was an unasked line was ok")
	}
	b.SetState("READY")
	if st, err := status(t, d); err == nil && st.State != "READY" {
		t.Errorf("ok with state %q, the answer to the read before; stats %+v", st.State, d.Stats())
	}
}

// TestOwedWrittenOffByBanner: a board that resets in the middle of an
// answer (the cut line glued to its banner) owes nothing: it answers
// nothing asked before its boot. The next read does not wait resync.late
// for it.
func TestOwedWrittenOffByBanner(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Late: 20 * time.Millisecond})
	cfg := testConfig(link)
	cfg.Banner, cfg.Resync.Late = "^"+sim.Banner[:len("JigSim boot")], 10*time.Second
	d := openDevice(t, cfg)
	mustStatus(t, d)
	b.SetFault(sim.FaultReset)
	if _, err := status(t, d); err == nil {
		t.Fatal("a read cut by a reset was ok")
	}
	b.SetFault(sim.FaultNone)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if st, err := d.Status(ctx); err != nil || st.State != sim.DefaultState {
		t.Errorf("the read after the reset: %+v, %v; stats %+v", st, err, d.Stats())
	}
}
