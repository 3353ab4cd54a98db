package manager

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
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
	testutil.WaitFor(t, "the first read at the board", 5*time.Second, func() bool { return b.Queries() > before })
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
