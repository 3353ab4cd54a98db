package manager

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// lateBoardDelay is how long the slow board of the late-arrival tests
// takes to answer each command: a status read (two queries and the
// fence) takes 300 ms, a Query (its command and the fence) 200 ms.
const lateBoardDelay = 100 * time.Millisecond

// TestLateArrivalSaysWhereTimeWent: the caller's link to the broker
// freezes as it publishes a 2 s status read, then a 2 s Query, and
// carries again when 200 ms of their time is left, so they reach the
// manager with too little time for the board. The board was fine: the bus
// took the time. Their serial_timeout (the board did not answer in what
// was left) says first how much of their time was spent before the
// manager took them up, so that nobody reads it as the board's slowness
// alone. The same requests, prompt, are answered; prompt with a time of
// their own too short for the board, they get serial_timeout saying
// nothing of the way, the Query "not sent".
func TestLateArrivalSaysWhereTimeWent(t *testing.T) {
	f := startSlowFixture(t)
	p, url := testutil.NewProxy(t, testURL(), testutil.AcceptQueueOfOne)
	c := dialURL(t, url)
	asks := []struct {
		method string
		args   any
	}{{jigapi.JigStatus.Name(), nil}, {jigapi.Query.Name(), jigapi.QueryArgs{Command: "STAT?"}}}
	for _, a := range asks {
		if _, err := askWithin(c, f.serial, a.method, a.args, 2*time.Second); err != nil {
			t.Fatalf("%s, prompt: %v", a.method, err)
		}
	}
	for _, a := range asks { // the Query's pace is known: the 5 s resync.late outlasts the freezes
		err := frozenAsk(p, c, f.serial, a.method, a.args)
		wantCode(t, err, jigapi.CodeSerialTimeout)
		if err == nil || !strings.Contains(err.Error(), "of its 2s left") || !strings.Contains(err.Error(), "before the manager took it up") {
			t.Errorf("%s that reached the manager with 200 ms of 2 s left: %v; want it to say where the time went", a.method, err)
		}
	}
	for _, a := range asks {
		if _, err := askWithin(c, f.serial, a.method, a.args, 2*time.Second); err != nil {
			t.Errorf("%s, prompt again: %v", a.method, err)
		}
	}
	_, err := askWithin(c, f.serial, jigapi.Query.Name(), jigapi.QueryArgs{Command: "STAT?"}, 150*time.Millisecond)
	wantCode(t, err, jigapi.CodeSerialTimeout)
	if !strings.Contains(err.Error(), "not sent") {
		t.Errorf("a prompt Query with too little time for the board: %v, want not sent", err)
	}
	_, err = askWithin(c, f.serial, jigapi.JigStatus.Name(), nil, 150*time.Millisecond)
	wantCode(t, err, jigapi.CodeSerialTimeout)
	if err != nil && strings.Contains(err.Error(), "took it up") {
		t.Errorf("a prompt request too short for the board: %v; want nothing said of the way", err)
	}
}

// startSlowFixture is startFixture with a board that answers each command
// in lateBoardDelay, and whose pace the manager keeps for 5 s.
func startSlowFixture(t *testing.T) *fixture {
	t.Helper()
	slow := filepath.Join(t.TempDir(), "slow")
	b, err := sim.Start(slow, sim.Config{Delay: lateBoardDelay}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return startFixture(t, func(c *Config) {
		c.Fixture.Port = slow
		c.Fixture.Resync.Late = 5 * time.Second
	})
}

func askWithin(c *mqmanager.Client, serial, method string, args any, timeout time.Duration) (*mqmanager.Reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Request(ctx, serial, method, args)
}

// frozenAsk makes a 2 s request on c while p, c's link, is paused, and
// thaws p when 200 ms of the request's time is left: the request is
// published with its whole 2 s and reaches the manager with 200 ms. The
// freeze's length is the scenario, so a timer ends it; no event to wait
// for.
func frozenAsk(p *testutil.Proxy, c *mqmanager.Client, serial, method string, args any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	p.Pause()
	done := make(chan error, 1)
	go func() {
		_, err := c.Request(ctx, serial, method, args)
		done <- err
	}()
	thaw := time.NewTimer(time.Until(deadline.Add(-200 * time.Millisecond)))
	defer thaw.Stop()
	select {
	case <-thaw.C:
	case err := <-done:
		p.Thaw()
		return fmt.Errorf("ended while its link was frozen: %w", err)
	}
	p.Thaw()
	return <-done
}

func serverStats(t *testing.T, f *fixture) jigapi.ServerStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := f.client.Stats(ctx, f.serial)
	if err != nil {
		t.Fatal(err)
	}
	return st.Server
}
