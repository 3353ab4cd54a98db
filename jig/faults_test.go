package jig_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// margin is the slack allowed on top of a timeout before a read counts as
// hung; generous, since -race and loaded CI machines are slow.
const margin = 2 * time.Second

// TestFaults checks each fault gives its defined error within the query
// timeout plus margin, and that the next read succeeds once it is cleared.
func TestFaults(t *testing.T) {
	for _, c := range faultCases() {
		t.Run(c.fault.String(), func(t *testing.T) { testFault(t, c.fault, c.check) })
	}
}

type faultCase struct {
	fault sim.Fault
	check func(t *testing.T, err error)
}

// faultCases is each fault with a check of its error.
func faultCases() []faultCase {
	return []faultCase{
		{sim.FaultSilent, func(t *testing.T, err error) {
			if !errors.Is(err, jig.ErrTimeout) || !strings.Contains(err.Error(), "*IDN?") {
				t.Errorf("err = %v, want ErrTimeout naming the command", err)
			}
		}},
		{sim.FaultError, func(t *testing.T, err error) {
			var fe *jig.FixtureError
			if !errors.As(err, &fe) || fe.Command != "*IDN?" || fe.Answer != `ERR -100,"Command error"` || fe.Reason != "" {
				t.Errorf("err = %#v, want FixtureError for the ERR answer", err)
			}
		}},
		{sim.FaultGarbage, wantBadAnswer("non-printable byte")},
		{sim.FaultLongLine, wantBadAnswer("longer than max_line")},
		{sim.FaultPartial, func(t *testing.T, err error) {
			if !errors.Is(err, jig.ErrTimeout) || !strings.Contains(err.Error(), "unterminated") {
				t.Errorf("err = %v, want ErrTimeout for an unterminated answer", err)
			}
		}},
	}
}

// testFault reads twice from a board with fault (the second read must not
// be confused by the first), then once more after clearing it. A read
// after one the board left unanswered (silent, partial) first waits for
// the answer owed, up to Resync.Late.
func testFault(t *testing.T, fault sim.Fault, check func(*testing.T, error)) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Fault: fault})
	cfg := testConfig(link)
	d := openDevice(t, cfg)
	for i := range 2 {
		start := time.Now()
		_, err := status(t, d)
		limit := cfg.QueryTimeout + margin
		if i > 0 {
			limit += cfg.Resync.Late
		}
		if took := time.Since(start); took > limit {
			t.Errorf("faulty read %d took %s (limit %s)", i+1, took, limit)
		}
		check(t, err)
		if !d.Connected() {
			t.Errorf("a fault disconnected the port")
		}
	}
	b.SetFault(sim.FaultNone)
	if st := mustStatus(t, d); st.Identity != sim.DefaultIdentity || st.State != sim.DefaultState {
		t.Errorf("after clearing the fault: %+v", st)
	}
	if s := d.Stats(); s.Errors != 2 || s.Reads != 3 {
		t.Errorf("stats = %+v", s)
	}
}

func wantBadAnswer(reason string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var fe *jig.FixtureError
		if !errors.As(err, &fe) || !strings.Contains(fe.Reason, reason) || fe.Command != "*IDN?" {
			t.Fatalf("err = %v, want FixtureError with reason %q", err, reason)
		}
		if len(fe.Answer) > 300 || !strings.Contains(err.Error(), reason) {
			t.Errorf("answer excerpt %d bytes, message %q", len(fe.Answer), err)
		}
	}
}

// TestLongLineBounded: a longer answer than max_line is refused even when
// the line does end; one of exactly max_line is fine.
func TestLongLineBounded(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Identity: strings.Repeat("x", 64)})
	cfg := testConfig(link)
	cfg.MaxLine = 63
	d := openDevice(t, cfg)
	var fe *jig.FixtureError
	if _, err := status(t, d); !errors.As(err, &fe) || !strings.Contains(fe.Reason, "max_line 63") {
		t.Fatalf("err = %v, want line too long", err)
	}
	d.Close()
	cfg.MaxLine = 64
	d = openDevice(t, cfg)
	if st := mustStatus(t, d); len(st.Identity) != 64 {
		t.Errorf("identity %q", st.Identity)
	}
}

// TestUnknownCommand: a query the board does not know is a fixture error.
func TestUnknownCommand(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{})
	cfg := testConfig(link)
	cfg.Queries = []jig.Query{{Name: "curr", Command: "MEAS:CURR?"}}
	d := openDevice(t, cfg)
	_, err := status(t, d)
	var fe *jig.FixtureError
	if !errors.As(err, &fe) || !strings.HasPrefix(fe.Answer, "ERR -113") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "MEAS:CURR?") || !strings.Contains(err.Error(), "Undefined header") {
		t.Errorf("message %q lacks command or answer", err)
	}
}

// TestTrickle: an answer arriving one byte at a time, CRLF-terminated, is
// read whole and right.
func TestTrickle(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Fault: sim.FaultTrickle})
	d := openDevice(t, testConfig(link))
	for range 3 {
		if st := mustStatus(t, d); st.Identity != sim.DefaultIdentity || st.State != sim.DefaultState {
			t.Errorf("trickled: %+v", st)
		}
	}
}

// TestPatternMismatch: an answer that does not match its query's pattern
// is a FixtureError naming the query, never a field.
func TestPatternMismatch(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{State: "ON FIRE"})
	cfg := testConfig(link)
	cfg.Queries[1].Pattern = `^(READY|BUSY|DONE)$`
	d := openDevice(t, cfg)
	st, err := status(t, d)
	var fe *jig.FixtureError
	if !errors.As(err, &fe) || fe.Query != "state" || fe.Answer != "ON FIRE" || !strings.Contains(err.Error(), "pattern") {
		t.Fatalf("err = %v", err)
	}
	if len(st.Fields) != 0 || st.State != "" || d.Stats().PatternMismatches != 1 {
		t.Errorf("status %+v, stats %+v", st, d.Stats())
	}
}

// TestResyncProbeTimeoutSaysSo: a read that fails because the resync's
// probe got no answer says it was the probe, not a query of the read: the
// command in the message is the probe's (by default *IDN?, the identity
// query's too).
func TestResyncProbeTimeoutSaysSo(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{})
	d := openDevice(t, testConfig(link))
	mustStatus(t, d)
	b.SetFault(sim.FaultSilent)
	if _, err := status(t, d); !errors.Is(err, jig.ErrTimeout) { // a query unanswered: out of step
		t.Fatalf("a silent board's read: %v, want a serial timeout", err)
	}
	_, err := status(t, d) // resyncs first; its probe gets no answer
	if !errors.Is(err, jig.ErrTimeout) || !strings.Contains(err.Error(), "the resync's probe") {
		t.Errorf("a read whose resync probe was not answered: %v, want a serial timeout saying it was the probe", err)
	}
}
