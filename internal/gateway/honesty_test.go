package gateway

import (
	"testing"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
)

// TestReplugNeverShowsTheEarlierBoard: a board is unplugged and another,
// with its own identity and state, plugged in on the same link at once
// (the tester's repro; the manager reads only when asked). The first
// board's state, read through the gateway, stops being current without
// anyone reading the second, in the row and in /metrics; the second's is
// current once read.
func TestReplugNeverShowsTheEarlierBoard(t *testing.T) {
	f := startFixture(t, func(c *manager.Config) { c.Events.ReadEvery = 0 })
	g := startGateway(t, nil)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Seen })
	first := g.readStatus(t, f.serial)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil && x.Current.Identity == first.Identity })
	f.board.Close()
	b, err := sim.Start(f.link, sim.Config{Identity: "OTHER-BOARD,9.9", State: "FAULT"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	x := g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current == nil && x.Summary.Connected })
	if x.Summary.State != "" || x.Summary.Identity != "" {
		t.Errorf("the summary keeps the first board's read: %+v", x.Summary)
	}
	if m := testutil.FindMetric(testutil.Scrape(t, g.base+"/metrics")["jig_fixture_state"], map[string]string{"serial": f.serial}); m != nil {
		t.Errorf("jig_fixture_state exports %v for a board not read since plugged in", m.GetLabel())
	}
	second := g.readStatus(t, f.serial)
	x = g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil })
	if second.Identity != "OTHER-BOARD,9.9" || x.Current.Identity != second.Identity || x.Current.State != "FAULT" {
		t.Fatalf("after reading the second board (%s): current %+v", second.Identity, *x.Current)
	}
	mf := testutil.Scrape(t, g.base+"/metrics")
	testutil.CheckMetrics(t, mf, []testutil.Want{
		{Name: "jig_fixture_state", Labels: map[string]string{"serial": f.serial, "state": "FAULT"}, Value: 1}})
	if m := testutil.FindMetric(mf["jig_fixture_state"], map[string]string{"serial": f.serial, "state": first.State}); m != nil {
		t.Errorf("jig_fixture_state still exports the first board's %s", first.State)
	}
}

// TestFailedReadEndsTheState: a live read through the gateway that fails
// (the board answers errors) is recorded in the row, with its outcome and
// time; the state read before it is no longer current, in the row or in
// /metrics. The next good read makes it current again.
func TestFailedReadEndsTheState(t *testing.T) {
	f := startFixture(t)
	g := startGateway(t, nil)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil && x.Current.State == "READY" })
	g.readStatus(t, f.serial)
	f.board.SetFault(sim.FaultError)
	var a answer
	if st := g.get(t, "GET", "/api/v1/fixtures/"+f.serial+"/status", "", &a); st != 502 || a.Outcome != OutcomeErrorReply {
		t.Fatalf("status read of a failing board: %d %+v", st, a)
	}
	var row Fixture
	g.get(t, "GET", "/api/v1/fixtures/"+f.serial, "", &row)
	if e := row.StatusError; e == nil || e.Outcome != OutcomeErrorReply || e.Code != a.Error.Code || e.At.IsZero() {
		t.Fatalf("row's status_error %+v, want the failed read's %s %+v", e, a.Outcome, a.Error)
	}
	if row.Current != nil || row.Status == nil {
		t.Fatalf("after a failed read: current %+v, status %+v; want none current, the earlier status kept", row.Current, row.Status)
	}
	if m := testutil.FindMetric(testutil.Scrape(t, g.base+"/metrics")["jig_fixture_state"], map[string]string{"serial": f.serial}); m != nil {
		t.Errorf("jig_fixture_state exports %v after a failed read", m.GetLabel())
	}
	f.board.SetFault(sim.FaultNone)
	g.readStatus(t, f.serial)
	x := g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil })
	if x.Current.State != "READY" || x.StatusError != nil {
		t.Fatalf("after a good read: current %+v, status_error %+v", *x.Current, x.StatusError)
	}
	testutil.CheckMetrics(t, testutil.Scrape(t, g.base+"/metrics"), []testutil.Want{
		{Name: "jig_fixture_state", Labels: map[string]string{"serial": f.serial, "state": "READY"}, Value: 1}})
}
