package manager

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
)

// TestSharedReadSaysWhenItBegan: a status request that arrives while a
// read is in flight shares that read (design.md), and its result says how
// long before the request arrived the read began (began_before_ms): its
// answers may predate the request. The request whose read it is says
// nothing of the kind.
func TestSharedReadSaysWhenItBegan(t *testing.T) {
	link := filepath.Join(t.TempDir(), "slow")
	b, err := sim.Start(link, sim.Config{Delay: 200 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	f := startFixture(t, func(c *Config) { c.Fixture.Port, c.Fixture.QueryTimeout = link, time.Second })
	status := func() (jigapi.Status, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return f.client.Status(ctx, f.serial)
	}
	if _, err := status(); err != nil { // the line in step: the next read is the board's alone
		t.Fatal(err)
	}
	before := b.Queries()
	first := make(chan jigapi.Status, 1)
	go func() {
		st, err := status()
		if err != nil {
			t.Error(err)
		}
		first <- st
	}()
	awaitQueries(t, b, before) // the first read is at the board
	second, err := status()
	if err != nil {
		t.Fatal(err)
	}
	own := <-first
	if !second.ReadAt.Equal(own.ReadAt) {
		t.Fatalf("the second request did not share the read in flight: read_at %v and %v", own.ReadAt, second.ReadAt)
	}
	if own.BeganBeforeMS != 0 || second.BeganBeforeMS <= 0 || second.BeganBeforeMS > second.ReadMS {
		t.Errorf("began_before_ms: the read's own request %v (want 0), the one that shared it %v (want in (0, %v])",
			own.BeganBeforeMS, second.BeganBeforeMS, second.ReadMS)
	}
}

// awaitQueries waits until the board has had more than n commands; at
// most 5 s. The board tells no event of a command, so its count is looked
// at every millisecond.
func awaitQueries(t *testing.T, b *sim.Board, n uint64) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for b.Queries() <= n {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the board had no command beyond its %d within 5s", n)
		}
	}
}
