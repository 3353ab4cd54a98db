package mqmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
)

// The soak's server-side ledger: executions per request id, and executions
// that started after their caller's deadline.
var (
	soakRuns sync.Map // id -> *atomic.Int32
	soakLate atomic.Int64
)

// soakFixture is one soak manager's fixture, as on a fixture PC: a jig/sim
// board on a real pseudo-terminal behind its own link (the "port"), and the
// jig.Device that reads it. Each board has its own identity, so a status
// reply says which board it was read from.
type soakFixture struct {
	serial, identity, port string
	board                  *sim.Board
	dev                    *jig.Device
}

// startFixtures plugs in n boards and opens a Device on each, with the
// defaults jig-manager uses, and checks that each reads its own board.
// Each is closed at the end of the test, after its manager (cleanups run
// last in, first out).
func startFixtures(t *testing.T, n int) []*soakFixture {
	t.Helper()
	dir := t.TempDir()
	fixtures := make([]*soakFixture, n)
	for i := range fixtures {
		serial := uniqueSerial(t)
		fx := &soakFixture{serial: serial, identity: "JIGMQ,SoakSim," + serial + ",1.0",
			port: filepath.Join(dir, serial)}
		t.Cleanup(func() { fx.close() })
		var err error
		if fx.board, err = sim.Start(fx.port, sim.Config{Identity: fx.identity}, nil); err != nil {
			t.Fatal(err)
		}
		if fx.dev, err = jig.Open(jig.Config{Port: fx.port}, nil); err != nil {
			t.Fatal(err)
		}
		st, err := fx.dev.Status(ctxTimeout(t, 5*time.Second))
		if err != nil || !fx.read(jigapi.StatusOf(st)) {
			t.Fatalf("fixture %s: first read %+v, %v", serial, st, err)
		}
		fixtures[i] = fx
	}
	return fixtures
}

// close closes the Device, then unplugs the board; it is idempotent.
func (fx *soakFixture) close() error {
	var errs []error
	if fx.dev != nil {
		errs = append(errs, fx.dev.Close())
	}
	if fx.board != nil {
		errs = append(errs, fx.board.Close())
	}
	return errors.Join(errs...)
}

// read reports whether st was read from fx's board: its port and identity.
func (fx *soakFixture) read(st jigapi.Status) bool {
	return st.Connected && st.Port == fx.port && st.Identity == fx.identity
}

// serveFixture runs soak manager i for fx on urls; it answers SoakStatus
// by reading fx's board.
func serveFixture(t *testing.T, urls []string, i int, fx *soakFixture) *watched {
	t.Helper()
	b := Broker{URLs: urls, Heartbeat: soakHeartbeat, Name: fmt.Sprintf("soak-mgr-%d", i)}
	return serveWith(t, b, func(c *ServerConfig) { c.Serial = fx.serial },
		func(s *Server) { s.Handle("SoakStatus", HandlerFunc(fx.status)) })
}

// soakArgs is SoakStatus's argument: the soak's id of the request.
type soakArgs struct {
	Request string `json:"request"`
}

// soakStatus is SoakStatus's result: a JigStatus result, with the id of the
// request it answers.
type soakStatus struct {
	jigapi.Status
	Request string `json:"request"`
}

// status is JigStatus (the manager's, from the same jigapi parts) that also books the request in the soak's ledger:
// how often its id ran, and whether it started after its caller's
// deadline. Concurrent requests share the board read in flight.
func (fx *soakFixture) status(ctx context.Context, r *Request) (any, error) {
	if !r.Deadline.IsZero() && time.Now().After(r.Deadline) {
		soakLate.Add(1)
	}
	var a soakArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	n, _ := soakRuns.LoadOrStore(a.Request, new(atomic.Int32))
	n.(*atomic.Int32).Add(1)
	st, err := fx.dev.Status(ctx)
	if err != nil {
		return nil, jigapi.BoardError(err)
	}
	return soakStatus{Status: jigapi.StatusOf(st), Request: a.Request}, nil
}

// attribution checks that r answers request id, from fx's manager (right)
// and read from fx's board (board).
func (fx *soakFixture) attribution(r *Reply, id string) (right, board bool) {
	var got soakStatus
	if json.Unmarshal(r.Result, &got) != nil {
		return false, false
	}
	board = fx.read(got.Status)
	return board && got.Request == id && r.Serial == fx.serial, board
}

// closeFixtures closes every fixture and checks their boards: each was
// read, no read failed, and every ok reply came from a read (its own or
// one it shared).
func closeFixtures(t *testing.T, fixtures []*soakFixture, ok int64) {
	t.Helper()
	var reads, shared, cmds, reconnects uint64
	for _, fx := range fixtures {
		s := fx.dev.Stats()
		if err := fx.close(); err != nil {
			t.Errorf("fixture %s: %v", fx.serial, err)
		}
		if s.Reads == 0 || s.Errors != 0 {
			t.Errorf("fixture %s: %d reads, %d failed", fx.serial, s.Reads, s.Errors)
		}
		reads, shared, reconnects = reads+s.Reads, shared+s.CoalescedReads, reconnects+s.Reconnects
		cmds += fx.board.Queries()
	}
	t.Logf("boards: %d status reads (%d requests shared a read in flight), %d commands answered, %d port reopens",
		reads, shared, cmds, reconnects)
	if uint64(ok) > reads+shared {
		t.Errorf("%d ok replies, but only %d reads and %d shared ones", ok, reads, shared)
	}
}
