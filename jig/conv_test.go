package jig_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// TestDo: one command, its one answer, with the honesty rules of a status
// read; a caller's context ending mid-exchange leaves the line out of
// step, and the next Do resyncs and gets its own answer.
func TestDo(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Tagged: true})
	cfg := pairConfig(link)
	cfg.QueryTimeout = 5 * time.Second
	d := openDevice(t, cfg)
	ctx := context.Background()
	a, err := d.Do(ctx, "MEAS:TEMP?")
	if n, ans, _ := parseTag(a.Line); err != nil || ans != "23.5" || n != b.Queries()-1 || a.Command != "MEAS:TEMP?" || a.SentAt.IsZero() {
		t.Fatalf("Do = %+v, %v", a, err)
	}
	if _, err := d.Do(ctx, "A?;B?"); err == nil || !strings.Contains(err.Error(), ";") {
		t.Errorf("two commands in one line: %v", err)
	}
	b.SetFault(sim.FaultSilent)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := d.Do(short, "STAT?"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent board, short context: %v", err)
	}
	b.SetFault(sim.FaultNone)
	resyncs := d.Stats().Resyncs
	a, err = d.Do(ctx, "STAT?")
	if n, ans, _ := parseTag(a.Line); err != nil || ans != sim.DefaultState || n != b.Queries()-1 { // then the fence
		t.Fatalf("after the caller gave up: %+v, %v", a, err)
	}
	if d.Stats().Resyncs != resyncs+1 {
		t.Errorf("no resync after a caller gave up mid-exchange: %+v", d.Stats())
	}
}

// TestDoSerialisedAndLive: a Do holding the port is seen by Liveness and
// a status read waits for it; each gets its own answers.
func TestDoSerialisedAndLive(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Tagged: true, Fault: sim.FaultLate, Late: 300 * time.Millisecond})
	cfg := pairConfig(link)
	cfg.QueryTimeout = 5 * time.Second
	d := openDevice(t, cfg)
	mustStatus(t, d) // resynced, in step
	done := make(chan error, 1)
	go func() { _, err := d.Do(context.Background(), "MEAS:TEMP?"); done <- err }()
	before := b.Queries()
	waitFor(t, "the board to get the Do's command", 5*time.Second, func() bool { return b.Queries() > before })
	if err := d.Liveness(time.Now().Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "conversation") {
		t.Errorf("a Do holding the port for an hour: Liveness = %v", err)
	}
	b.SetFault(sim.FaultNone)
	st := mustStatus(t, d)
	if err := <-done; err != nil {
		t.Fatalf("Do: %v", err)
	}
	if err := mispaired(b, cfg.Queries, st, before+1); err != nil {
		t.Errorf("status read after a Do: %v", err)
	}
	if err := d.Liveness(time.Now()); err != nil {
		t.Errorf("idle: %v", err)
	}
}

// TestUnsolicited: lines the board sends unasked, at plug-in or while
// idle, are discarded, counted, logged, never answers; the next read
// resyncs and is right.
func TestUnsolicited(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Tagged: true, Noise: true})
	var out syncBuffer
	d, err := jig.Open(pairConfig(link), slog.New(slog.NewTextHandler(&out, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if st := mustStatus(t, d); mispaired(b, pairConfig(link).Queries, st, 0) != nil {
		t.Fatalf("after noise at open: %+v", st)
	}
	if err := b.Say("EVENT door open"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unsolicited line counted", 5*time.Second, func() bool { return d.Stats().UnsolicitedLines > 0 })
	before := b.Queries()
	st := mustStatus(t, d)
	if err := mispaired(b, pairConfig(link).Queries, st, before); err != nil {
		t.Errorf("after an unsolicited line: %v", err)
	}
	if !strings.Contains(out.String(), "unsolicited input") {
		t.Errorf("not logged:\n%s", out.String())
	}
}

// TestFenceAnsweredErr: a fence answered by an ERR line (an earlier
// command's, for all the fence can tell) fails the conversation as a
// failed fence and leaves the line out of step: the next one resyncs.
func TestFenceAnsweredErr(t *testing.T) {
	link := newLink(t)
	// Commands: #1 and #2 the resync after opening, #3 the Do, #4 its
	// fence, answered ERR.
	startBoard(t, link, sim.Config{Fault: sim.FaultError, Every: 4})
	d := openDevice(t, testConfig(link))
	_, err := d.Do(context.Background(), "MEAS:TEMP?")
	var fe *jig.FixtureError
	if !errors.As(err, &fe) || fe.Query != "fence" || fe.Reason == "" || d.Stats().FenceFailures != 1 {
		t.Fatalf("Do = %v, stats %+v: want a failed fence", err, d.Stats())
	}
	resyncs := d.Stats().Resyncs
	d.Do(context.Background(), "MEAS:TEMP?")
	if d.Stats().Resyncs != resyncs+1 {
		t.Errorf("no resync after a fence answered ERR: %+v", d.Stats())
	}
}
