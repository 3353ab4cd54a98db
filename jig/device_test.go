package jig_test

import (
	"context"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

func TestStatusGood(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Identity: "ACME,Board,42,2.1", State: "BUSY"})
	cfg := testConfig(link)
	cfg.Queries = append(cfg.Queries, jig.Query{Name: "temp", Command: "MEAS:TEMP?"},
		jig.Query{Name: "err", Command: "SYST:ERR?"})
	d := openDevice(t, cfg)

	before := time.Now()
	st := mustStatus(t, d)
	if st.Identity != "ACME,Board,42,2.1" || st.State != "BUSY" || !st.Connected || st.Port != link {
		t.Errorf("status = %+v", st)
	}
	want := map[string]string{"identity": "ACME,Board,42,2.1", "state": "BUSY", "temp": "23.5", "err": `0,"No error"`}
	for k, v := range want {
		if st.Fields[k] != v {
			t.Errorf("Fields[%q] = %q, want %q", k, st.Fields[k], v)
		}
	}
	if len(st.Fields) != len(want) {
		t.Errorf("Fields = %v", st.Fields)
	}
	if st.ReadMS <= 0 || st.ReadAt.Before(before) || st.ReadAt.After(time.Now()) {
		t.Errorf("read_ms %v read_at %v", st.ReadMS, st.ReadAt)
	}
	// The line is out of step until resynced after opening: two probes;
	// then the read's four queries and its fence.
	if s := d.Stats(); s.Commands != 4 || s.Resyncs != 1 || b.Queries() != 4+2+1 {
		t.Errorf("board saw %d commands, stats %+v; want 4, the resync's 2 and the fence", b.Queries(), s)
	}
	b.SetState("DONE")
	if st := mustStatus(t, d); st.State != "DONE" {
		t.Errorf("state = %q after SetState", st.State)
	}
	s := d.Stats()
	if s.Reads != 2 || s.Errors != 0 || s.LastReadAt.IsZero() {
		t.Errorf("stats = %+v", s)
	}
	if !d.Connected() || d.Port() != link {
		t.Errorf("Connected %v Port %q", d.Connected(), d.Port())
	}
}

// BenchmarkStatus is one full status read (two queries) on a pty, one
// caller at a time.
func BenchmarkStatus(b *testing.B) {
	link := newLink(b)
	startBoard(b, link, sim.Config{})
	d := openDevice(b, testConfig(link))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Status(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatusParallel is many callers at once; shared reads make a
// call cheaper than a read. It reports board queries per call.
func BenchmarkStatusParallel(b *testing.B) {
	link := newLink(b)
	board := startBoard(b, link, sim.Config{})
	d := openDevice(b, testConfig(link))
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := d.Status(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(board.Queries())/float64(b.N), "queries/op")
}
