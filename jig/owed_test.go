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
// (BUSY) is owed; the board then says something unasked, which cannot be
// a state. It must not pay the debt: the next read would take the late
// BUSY for its own state query, the board READY by then.
func TestOwedNotPaidByChatter(t *testing.T) {
	b, d := lateStateBoard(t, 500*time.Millisecond)
	if _, err := status(t, d); err == nil {
		t.Fatal("a read with its state answered late was ok")
	}
	b.Say("EVENT: lid closed")
	b.SetState("READY")
	if st, err := status(t, d); err == nil && st.State != "READY" {
		t.Errorf("ok with state %q, the answer to the read before; stats %+v", st.State, d.Stats())
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

// TestOwedForgottenOnReplug: a silent board owes an answer; another board
// plugged in at the same path owes nothing, and answers at once.
func TestOwedForgottenOnReplug(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{})
	cfg := testConfig(link)
	cfg.Resync.Late = 10 * time.Second
	d := openDevice(t, cfg)
	mustStatus(t, d)
	b.SetFault(sim.FaultSilent)
	if _, err := status(t, d); err == nil {
		t.Fatal("a silent board answered")
	}
	b.Close()
	waitFor(t, "the unplug seen", 5*time.Second, func() bool { return !d.Connected() })
	startBoard(t, link, sim.Config{})
	waitFor(t, "the replug seen", 5*time.Second, d.Connected)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if a, err := d.Do(ctx, "STAT?"); err != nil || a.Line != sim.DefaultState {
		t.Errorf("the new board: %+v, %v", a, err)
	}
}
