package jig_test

import (
	"context"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// TestDoubledProbeAnswers: the default configuration (the probe sent
// twice), a slow board (200 ms an answer) that answers the probe twice,
// the copy 100 ms later. A resync takes the first probe's answer and its
// copy for the two probes' answers; the second probe's answer and its copy
// are still to come. Ending the resync after resync.quiet would shift the
// line by two, the next command taking a probe's answer and the fence the
// copy, equal to the probe's: ok with the wrong line, read after read. The
// resync waits a query timeout after its probe, sees the rest, and fails;
// no Do is ever ok with another command's answer, also when the resync
// follows an owed answer paid.
func TestDoubledProbeAnswers(t *testing.T) {
	for _, owed := range []bool{false, true} {
		link := newLink(t)
		b := startBoard(t, link, sim.Config{Delay: 200 * time.Millisecond, Late: 100 * time.Millisecond, Only: "*IDN?"})
		d := openDevice(t, jig.Config{Port: link})
		if _, err := d.Do(context.Background(), "STAT?"); err != nil { // in step
			t.Fatal(err)
		}
		b.SetFault(sim.FaultDouble)
		if owed { // a Do cut short: its answer owed, then paid
			cut, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			d.Do(cut, "STAT?")
			cancel()
		} else { // the board speaks unasked: the line is out of step
			b.Say("EVENT")
			waitFor(t, "the unsolicited line", 5*time.Second, func() bool { return d.Stats().UnsolicitedLines > 0 })
		}
		want := map[string]string{"STAT?": sim.DefaultState, "MEAS:TEMP?": "23.5"}
		for i, cmd := range []string{"STAT?", "MEAS:TEMP?", "STAT?", "MEAS:TEMP?", "STAT?"} {
			if i == 1 {
				b.SetFault(sim.FaultNone)
			}
			a, err := d.Do(context.Background(), cmd)
			if err == nil && a.Line != want[cmd] {
				t.Errorf("owed %t: Do(%q) ok with %q; stats %+v", owed, cmd, a.Line, d.Stats())
			}
		}
	}
}
