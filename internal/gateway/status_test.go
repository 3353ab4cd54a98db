package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
)

// TestStatusReadRecordedAndStreamed: a live status read answers the
// manager's result as it came, and records that same status in the
// fixture's row, whether a stream is open or not: with none open, a
// stream opened afterwards has it in its snapshot; with one open, the
// stream gets it as a change.
func TestStatusReadRecordedAndStreamed(t *testing.T) {
	f := startFixture(t)
	g := startGateway(t, nil)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Seen })

	first := g.readStatus(t, f.serial) // no stream open
	var row Fixture
	if st := g.get(t, "GET", "/api/v1/fixtures/"+f.serial, "", &row); st != 200 {
		t.Fatalf("row: %d", st)
	}
	if row.Status == nil || !reflect.DeepEqual(*row.Status, first) || row.StatusAt.IsZero() {
		t.Fatalf("row's status %+v at %v, want the read's %+v", row.Status, row.StatusAt, first)
	}

	s := openStream(t, g.base)
	if got := s.awaitStatus(t, f.serial, first.ReadAt); !reflect.DeepEqual(got, first) {
		t.Fatalf("snapshot's status %+v, want %+v", got, first)
	}
	second := g.readStatus(t, f.serial) // the stream is open
	if !second.ReadAt.After(first.ReadAt) {
		t.Fatalf("second read at %v, not after the first's %v", second.ReadAt, first.ReadAt)
	}
	if got := s.awaitStatus(t, f.serial, second.ReadAt); !reflect.DeepEqual(got, second) {
		t.Fatalf("streamed status %+v, want %+v", got, second)
	}
}

// TestStatusReadsAtOnce: 64 reads of one slow board (each read some
// 100 ms) at once are all answered ok by its manager, with a few calls
// between them (concurrent reads share calls: statusbatch.go), and every
// read counted.
func TestStatusReadsAtOnce(t *testing.T) {
	f := startFixtureOn(t, sim.Config{Delay: 50 * time.Millisecond})
	g := startGateway(t, nil)
	const n = 64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			var a answer
			if st := g.get(t, "GET", "/api/v1/fixtures/"+f.serial+"/status", "", &a); st != 200 || !a.OK || a.Serial != f.serial {
				t.Errorf("status read: %d %+v", st, a)
			}
		})
	}
	wg.Wait()
	mf := testutil.Scrape(t, g.base+"/metrics")
	testutil.CheckMetrics(t, mf, []testutil.Want{{Name: "jig_gateway_requests_total",
		Labels: map[string]string{"method": "JigStatus", "outcome": "ok"}, Value: n}})
	m := testutil.FindMetric(mf["jig_gateway_status_calls_total"], nil)
	if m == nil {
		t.Fatal("no jig_gateway_status_calls_total")
	}
	calls := testutil.MetricValue(m)
	if calls < 1 || calls > n/4 { // all 64 arrive within a call or two
		t.Errorf("%v status calls for %d reads at once", calls, n)
	}
	t.Logf("%d reads, %v calls", n, calls)
}

// TestStatusResultNotAStatus: a JigStatus reply whose result is not a
// status is an internal error, as with the typed Client, never shown as
// ok.
func TestStatusResultNotAStatus(t *testing.T) {
	g := startGateway(t, nil)
	serial := "ODD-" + uuid.NewString()[:8]
	rawQueue(t, serial, []byte(`{"ok":true,"serial":"`+serial+`","method":"JigStatus","result":"not a status"}`))
	var a answer
	if st := g.get(t, "GET", "/api/v1/fixtures/"+serial+"/status", "", &a); st != 500 || a.OK || a.Outcome != OutcomeInternal {
		t.Fatalf("got %d %+v, want 500 %s", st, a, OutcomeInternal)
	}
}

// readStatus is GET .../status, which must be ok; its result, decoded.
func (g *gw) readStatus(t *testing.T, serial string) jigapi.Status {
	t.Helper()
	var a struct {
		OK     bool          `json:"ok"`
		Result jigapi.Status `json:"result"`
	}
	if st := g.get(t, "GET", "/api/v1/fixtures/"+serial+"/status", "", &a); st != 200 || !a.OK {
		t.Fatalf("status read: %d %+v", st, a)
	}
	return a.Result
}

// stream is an open GET /api/v1/events, its fixture messages on c, its
// broker messages on b.
type stream struct {
	c chan Fixture
	b chan BrokerState
}

func openStream(t *testing.T, base string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &stream{c: make(chan Fixture, 1024), b: make(chan BrokerState, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(s.c)
		defer close(s.b)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		event := ""
		for sc.Scan() {
			if e, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				event = e
			}
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			var f Fixture
			var b BrokerState
			switch {
			case ok && event == "broker" && json.Unmarshal([]byte(data), &b) == nil:
				s.b <- b
			case ok && json.Unmarshal([]byte(data), &f) == nil:
				s.c <- f
			}
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	return s
}

// awaitStatus reads the stream until serial's row carries the status read
// at readAt; at most 5 s.
func (s *stream) awaitStatus(t *testing.T, serial string, readAt time.Time) jigapi.Status {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f, ok := <-s.c:
			if !ok {
				t.Fatal("stream ended")
			}
			if f.Serial == serial && f.Status != nil && f.Status.ReadAt.Equal(readAt) {
				return *f.Status
			}
		case <-deadline:
			t.Fatalf("%s: no status read at %v on the stream within 5s", serial, readAt)
		}
	}
}

// awaitRow reads the stream's fixture messages until serial's satisfies
// ok; at most 5 s.
func (s *stream) awaitRow(t *testing.T, serial string, ok func(Fixture) bool) Fixture {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f, open := <-s.c:
			if !open {
				t.Fatal("stream ended")
			}
			if f.Serial == serial && ok(f) {
				return f
			}
		case <-deadline:
			t.Fatalf("%s: no such row on the stream within 5s", serial)
		}
	}
}
