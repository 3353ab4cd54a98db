package jig_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// cutAfterWrite is a context that its caller cancels (no deadline, so the
// command is sent whatever the board's pace) 50 ms in: after the command
// went out, before a board answering in 200 ms or more has answered.
func cutAfterWrite(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	stop := time.AfterFunc(50*time.Millisecond, cancel)
	t.Cleanup(func() { stop.Stop(); cancel() })
	return ctx
}

// TestSlowBoardAfterCut: a board slow but correct (200 ms an answer), the
// default configuration but for a nonce probe, a Do cut short by its
// caller after its command went out: the next Do, with the 1.9 s a 2 s
// request leaves it, awaits the answer owed, resyncs and gets its answer.
// (The resync's second quiet period was a whole query timeout, and the Do
// needed about 2 s. Without a nonce it still is: see TestDoubledProbeAnswers
// and TestSlowBoardAfterGlitch.)
func TestSlowBoardAfterCut(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Delay: 200 * time.Millisecond})
	d := openDevice(t, jig.Config{Port: link, Resync: jig.Resync{Probe: "ECHO {nonce}"}})
	if _, err := d.Do(context.Background(), "STAT?"); err != nil { // opened and in step
		t.Fatal(err)
	}
	if _, err := d.Do(cutAfterWrite(t), "MEAS:TEMP?"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cut short: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1900*time.Millisecond)
	defer cancel()
	if a, err := d.Do(ctx, "STAT?"); err != nil || a.Line != sim.DefaultState {
		t.Fatalf("the Do after: %+v, %v; stats %+v", a, err, d.Stats())
	}
	if s := d.Stats(); s.OwedAnswers != 1 || s.Resyncs != 2 {
		t.Errorf("stats %+v, want one answer owed and a resync after it", s)
	}
}

// TestSlowBoardAfterGlitch: the default configuration (a probe without a
// nonce, sent twice, then a query timeout of silence), a board answering
// in 300 ms, and Dos back to back with the 1.8 s a 2 s request leaves the
// board. After a glitch (a Do cut after its command went out), readying
// the line takes longer than a Do's time. Each Do used to be cut in turn,
// leaving the next the same work: none succeeded. Now the line is readied
// on after the caller has gone (handoff.go), and a command the deadline
// would cut is not sent (pace.go): at most the first two fail, and every
// Do after them is answered.
func TestSlowBoardAfterGlitch(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Delay: 300 * time.Millisecond})
	d := openDevice(t, jig.Config{Port: link})
	if _, err := d.Do(context.Background(), "STAT?"); err != nil { // opened and in step
		t.Fatal(err)
	}
	if _, err := d.Do(cutAfterWrite(t), "STAT?"); !errors.Is(err, context.Canceled) {
		t.Fatalf("glitch: %v", err)
	}
	var results []error
	for range 6 {
		ctx, cancel := context.WithTimeout(context.Background(), 1800*time.Millisecond)
		a, err := d.Do(ctx, "STAT?")
		cancel()
		if err == nil && a.Line != sim.DefaultState {
			t.Fatalf("answer %q, want %q", a.Line, sim.DefaultState)
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Do: %v", err)
		}
		results = append(results, err)
	}
	t.Logf("outcomes after the glitch: %v", results)
	for i, err := range results[2:] {
		if err != nil {
			t.Errorf("Do %d of %d after the glitch failed: %v (all: %v; stats %+v)", i+3, len(results), err, results, d.Stats())
		}
	}
}

// TestDoCutInResync: a Do whose caller's deadline comes while the line is
// being re-synchronised says so, and is no resync failure; the resync goes
// on without it, so the next Do finds the line in step.
func TestDoCutInResync(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Delay: 200 * time.Millisecond})
	d := openDevice(t, jig.Config{Port: link}) // out of step until the first resync
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := d.Do(ctx, "STAT?")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "re-synchronising the line") {
		t.Errorf("Do cut in its resync: %v", err)
	}
	if a, err := d.Do(context.Background(), "STAT?"); err != nil || a.Line != sim.DefaultState {
		t.Fatalf("the Do after: %+v, %v", a, err)
	}
	if s := d.Stats(); s.ResyncFailures != 0 || s.Resyncs != 1 || s.Commands != 1 {
		t.Errorf("stats %+v, want the one resync, finished for the next Do, and its one command", s)
	}
}

// TestDoNotSentWhenTooLate: a Do whose deadline is too close for the
// board's recent pace (200 ms an answer: 400 ms with the fence) is failed
// before its command is written, as the deadline's error, and leaves the
// line in step: nothing owed, no resync before the next Do.
func TestDoNotSentWhenTooLate(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Delay: 200 * time.Millisecond})
	d := openDevice(t, jig.Config{Port: link, Resync: jig.Resync{Probe: "ECHO {nonce}"}})
	if _, err := d.Do(context.Background(), "STAT?"); err != nil { // opened, in step, paced
		t.Fatal(err)
	}
	before := d.Stats()
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	_, err := d.Do(ctx, "MEAS:TEMP?")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not sent") || ctx.Err() != nil {
		t.Fatalf("Do too late: %v (its context: %v), want an early deadline error", err, ctx.Err())
	}
	if a, err := d.Do(context.Background(), "STAT?"); err != nil || a.Line != sim.DefaultState {
		t.Fatalf("the Do after: %+v, %v", a, err)
	}
	after := d.Stats()
	if after.Commands != before.Commands+1 || after.OwedAnswers != 0 || after.Resyncs != before.Resyncs {
		t.Errorf("stats before %+v, after %+v: want only the next Do's command, nothing owed, no resync", before, after)
	}
}

// TestPaceOneSlowCommand: one command the board answers slowly (960 ms,
// in time) keeps no other command from being sent, nor itself: the pace
// is the fastest recent answer, not the slowest. (With the slowest, every
// Do with the 1.9 s a 2 s request leaves was refused from then on, and a
// refusal adds no answer to end it.)
func TestPaceOneSlowCommand(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Fault: sim.FaultLate, Only: "MEAS:TEMP?", Late: 960 * time.Millisecond})
	d := openDevice(t, jig.Config{Port: link})
	if _, err := d.Do(context.Background(), "STAT?"); err != nil { // opened and in step
		t.Fatal(err)
	}
	for _, cmd := range []string{"MEAS:TEMP?", "STAT?", "STAT?", "MEAS:TEMP?", "STAT?"} {
		ctx, cancel := context.WithTimeout(context.Background(), 1900*time.Millisecond)
		_, err := d.Do(ctx, cmd)
		cancel()
		if err != nil {
			t.Errorf("%s: %v (stats %+v)", cmd, err, d.Stats())
		}
	}
}

// TestCloseDuringDo: Close while a Do waits for its answer waits for the
// Do, which ends as unavailable, before it closes the port (the race
// detector saw the two close it at once).
func TestCloseDuringDo(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Delay: 300 * time.Millisecond})
	d, err := jig.Open(jig.Config{Port: link}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Do(context.Background(), "STAT?"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := d.Do(context.Background(), "STAT?")
		done <- err
	}()
	waitFor(t, "the second command written", 5*time.Second, func() bool { return d.Stats().Commands == 2 })
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, jig.ErrUnavailable) {
			t.Errorf("the Do cut by Close: %v, want unavailable", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the Do cut by Close has not returned")
	}
}
