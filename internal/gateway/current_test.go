package gateway

import (
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// TestCurrentOnlyFromThisConnection drives the fleet table with the events
// of a manager that keeps its summary's state across a replug (one
// predating the fix, or events lost): the old board's state is never the
// current one once the port closed, nor after it opened again, until a
// read since; a failed read through the gateway, or the manager's own,
// ends it too; a new manager run does not inherit the gateway's read.
func TestCurrentOnlyFromThisConnection(t *testing.T) {
	fl := NewFleet(nil, 10, 10)
	t0 := time.Now().Add(-time.Minute)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	old := jigapi.Summary{Connected: true, State: "READY", Identity: "OLD", LastReadAt: at(1), StartedAt: at(0), HeartbeatS: 60}
	apply := func(kind string, when int, s jigapi.Summary) Fixture {
		t.Helper()
		f, ok := fl.Apply(jigapi.Event{Serial: "S", Kind: kind, At: at(when), Summary: s})
		if !ok {
			t.Fatal("refused")
		}
		return f
	}
	want := func(step string, f Fixture, state, identity string) {
		t.Helper()
		switch {
		case state == "" && f.Current != nil:
			t.Errorf("%s: current %+v, want none", step, *f.Current)
		case state != "" && (f.Current == nil || f.Current.State != state || f.Current.Identity != identity):
			t.Errorf("%s: current %+v, want %s %s", step, f.Current, state, identity)
		}
	}
	want("heartbeat", apply(jigapi.EvtHeartbeat, 2, old), "READY", "OLD")
	down := old
	down.Connected = false
	want("disconnected", apply(jigapi.EvtDisconnected, 3, down), "", "")
	want("connected, the old read", apply(jigapi.EvtConnected, 4, old), "", "")
	want("heartbeat, the old read", apply(jigapi.EvtHeartbeat, 5, old), "", "")
	f, _ := fl.SetStatus("S", jigapi.Status{Connected: true, State: "FAULT", Identity: "OTHER", ReadAt: at(6)}, at(6))
	want("a read through the gateway since", f, "FAULT", "OTHER")

	f, _ = fl.StatusFailed("S", OutcomeErrorReply, &apiError{Code: jigapi.CodeFixtureError, Message: "ERR"}, at(7))
	want("a failed read", f, "", "")
	if f.StatusError == nil || f.StatusError.Code != jigapi.CodeFixtureError || f.StatusError.At.IsZero() || f.Status == nil {
		t.Errorf("failed read: status_error %+v, status %+v: want the failure and the earlier read", f.StatusError, f.Status)
	}
	same := jigapi.Summary{Connected: true, State: "FAULT", Identity: "OTHER", LastReadAt: at(6), StartedAt: at(0), HeartbeatS: 60}
	want("heartbeat, no read since the failure", apply(jigapi.EvtHeartbeat, 7, same), "", "")
	fresh := same
	fresh.LastReadAt = at(8)
	want("heartbeat, the manager read since", apply(jigapi.EvtHeartbeat, 9, fresh), "FAULT", "OTHER")
	erred := fresh
	erred.LastErrorAt = at(10)
	want("heartbeat, the manager's read failed since", apply(jigapi.EvtHeartbeat, 11, erred), "", "")

	f, _ = fl.SetStatus("S", jigapi.Status{Connected: true, State: "BUSY", Identity: "OTHER", ReadAt: at(12)}, at(12))
	want("a good read through the gateway", f, "BUSY", "OTHER")
	if f.StatusError != nil {
		t.Errorf("good read: status_error %+v kept", f.StatusError)
	}
	// A call sent before the one the row shows, back late (behind a stuck
	// call, statusbatch.go), is older news: neither recorded nor streamed.
	if _, ok := fl.SetStatus("S", jigapi.Status{Connected: true, State: "READY", Identity: "OLD", ReadAt: at(11)}, at(11)); ok {
		t.Error("a status from a call sent earlier replaced the row's")
	}
	if _, ok := fl.StatusFailed("S", OutcomeTimeout, &apiError{Code: OutcomeTimeout}, at(10)); ok {
		t.Error("a failure of a call sent earlier replaced the row's")
	}
	if f, _ = fl.Get("S"); f.Status == nil || f.Status.State != "BUSY" || f.StatusError != nil {
		t.Errorf("row after older news: %+v, %+v; want BUSY, no error", f.Status, f.StatusError)
	}
	restarted := jigapi.Summary{Connected: true, StartedAt: at(13), HeartbeatS: 60}
	want("a new manager run", apply(jigapi.EvtHeartbeat, 14, restarted), "", "")
}

// TestZeroReadAtNeverCurrent: a state without a read time (a manager that
// sends none) is not current: nothing says when it was read.
func TestZeroReadAtNeverCurrent(t *testing.T) {
	fl := NewFleet(nil, 10, 10)
	f, _ := fl.Apply(jigapi.Event{Serial: "S", Kind: jigapi.EvtHeartbeat, At: time.Now(),
		Summary: jigapi.Summary{Connected: true, State: "READY", HeartbeatS: 60}})
	if f.Current != nil {
		t.Errorf("a state with no read time is current: %+v", *f.Current)
	}
	f, _ = fl.SetStatus("S", jigapi.Status{Connected: true, State: "BUSY"}, time.Now())
	if f.Current != nil {
		t.Errorf("a status read with no read time is current: %+v", *f.Current)
	}
}
