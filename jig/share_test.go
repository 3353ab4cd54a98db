package jig_test

import (
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// TestNoShareAfterLastAnswer: a status read that arrives once the read in
// flight has all its answers (its fence is running) does not share it:
// those answers are all older than the caller. It gets a read of its own,
// begun after it arrived. One that arrives while the first query is at
// the board shares the read, as concurrent reads do.
func TestNoShareAfterLastAnswer(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Delay: 150 * time.Millisecond})
	cfg := testConfig(link)
	cfg.QueryTimeout = time.Second
	d := openDevice(t, cfg)
	mustStatus(t, d) // the line in step: a read is its two queries and the fence
	for _, c := range []struct {
		name  string
		after uint64 // board commands of the first read before the second call
		share bool
	}{{"during the first query", 1, true}, {"during the fence", 3, false}} {
		before := b.Queries()
		first := make(chan jig.Status, 1)
		go func() { st, _ := status(t, d); first <- st }()
		waitFor(t, "the first read's commands at the board", 5*time.Second,
			func() bool { return b.Queries() >= before+c.after })
		called := time.Now()
		second := mustStatus(t, d)
		own := <-first
		if shared := second.ReadAt.Equal(own.ReadAt); shared != c.share {
			t.Errorf("%s: shared %t (read_at %v and %v), want %t", c.name, shared, own.ReadAt, second.ReadAt, c.share)
		}
		if !c.share && second.ReadAt.Before(called) {
			t.Errorf("%s: the second read began at %v, before its call at %v", c.name, second.ReadAt, called)
		}
	}
}
