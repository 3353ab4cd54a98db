package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// slowBoard is a fixture whose board is read only through the gateway,
// with a query timeout longer than the reads of these tests: a late board
// is the manager's to say (serial_timeout), before each request's
// deadline.
func slowBoard(t *testing.T, board sim.Config, queryTimeout time.Duration) *fixture {
	return startFixtureOn(t, board, func(c *manager.Config) {
		c.Fixture.QueryTimeout = queryTimeout
		c.Events.ReadEvery = 0
	})
}

// TestSilentBoardEveryReadSerialTimeout: the tester's repro. Reads of a
// silent board through the gateway, twenty at once and twenty 20 ms apart
// (the arrivals are the scenario), each with a 1 s timeout, all get the
// manager's serial_timeout (502), as a lone read would; none a timeout
// (504), which would blame the manager or the bus. They used to share
// calls carrying the latest reader's deadline, whose serial_timeout came
// after the earlier readers' deadlines.
func TestSilentBoardEveryReadSerialTimeout(t *testing.T) {
	f := slowBoard(t, sim.Config{Fault: sim.FaultSilent}, 10*time.Second)
	g := startGateway(t, nil)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Seen })
	const burst, paced = 20, 20
	outcomes := make([]string, burst+paced)
	var wg sync.WaitGroup
	read := func(i int) {
		var a answer
		st := g.get(t, "GET", "/api/v1/fixtures/"+f.serial+"/status?timeout=1s", "", &a)
		outcomes[i] = fmt.Sprint(st, " ", a.Outcome)
		if a.Error != nil {
			outcomes[i] += " " + a.Error.Code
		}
	}
	for i := range burst {
		wg.Go(func() { read(i) })
	}
	pace := time.NewTicker(20 * time.Millisecond)
	defer pace.Stop()
	for i := burst; i < burst+paced; i++ {
		<-pace.C
		wg.Go(func() { read(i) })
	}
	wg.Wait()
	want := fmt.Sprint(502, " ", OutcomeErrorReply, " ", jigapi.CodeSerialTimeout)
	for i, got := range outcomes {
		if got != want {
			t.Errorf("read %d of a silent board: %s, want %s", i, got, want)
		}
	}
}

// boardRead is one read's outcome through a status reader.
type boardRead struct {
	st  *jigapi.Status
	err error
}

// readVia joins a read to s at once (so reads join in the test's order)
// and waits for its answer on a goroutine.
func readVia(s *statusReader, ctx context.Context, serial string) <-chan boardRead {
	out := make(chan boardRead, 1)
	c, now := s.join(ctx, serial)
	go func() {
		if now {
			s.callNow(serial, c)
			out <- boardRead{c.st, c.err}
			return
		}
		_, st, err := s.wait(ctx, serial, c)
		out <- boardRead{st, err}
	}()
	return out
}

func serialTimeout(err error) bool {
	var re *mqmanager.RemoteError
	return errors.As(err, &re) && re.Code == jigapi.CodeSerialTimeout
}

// TestLongReadNotCutShort: through the gateway's own status reader, on a
// board that takes 750 ms a read (250 ms an answer), a 500 ms read's call
// is out, and another 500 ms read and a 3 s one arrive, in that order.
// The short reads get serial_timeout, as alone; the long one its status:
// it is not put on the short one's call, whose deadline would have cut it
// short, and the short one is not put on a call carrying the long one's
// deadline, which would have left it with a timeout (as it used to).
func TestLongReadNotCutShort(t *testing.T) {
	f := slowBoard(t, sim.Config{Delay: 250 * time.Millisecond}, 1500*time.Millisecond)
	g := startGateway(t, nil)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Seen })
	ctx := func(d time.Duration) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		t.Cleanup(cancel)
		return ctx
	}
	// The first read after the port opened waits a query timeout of
	// silence to bring the line in step (jig's resync): not the scenario.
	if r := <-readVia(g.status, ctx(10*time.Second), f.serial); r.err != nil {
		t.Fatalf("first read: %v", r.err)
	}
	first := readVia(g.status, ctx(500*time.Millisecond), f.serial)
	short := readVia(g.status, ctx(500*time.Millisecond), f.serial)
	long := readVia(g.status, ctx(3*time.Second), f.serial)
	for name, ch := range map[string]<-chan boardRead{"first short read": first, "second short read": short} {
		if r := <-ch; !serialTimeout(r.err) {
			t.Errorf("%s of a board slower than it: %v, want serial_timeout", name, r.err)
		}
	}
	if r := <-long; r.err != nil || r.st == nil {
		t.Errorf("3 s read of a board that answers in 750 ms: %v", r.err)
	}
}
