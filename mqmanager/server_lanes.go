package mqmanager

import (
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// lanes are the handler slots of one session, in two lanes, so that
// compute-bound methods never delay the others.
//
// A general method's request takes one of Concurrency slots, which the
// session's reader waits for: that is back-pressure, the broker keeps the
// rest. A Compute method's request takes a place among ComputeSlots +
// ComputeQueue without waiting (none free: a busy reply), and its handler
// goroutine, not the reader, waits for one of ComputeSlots until the
// request's deadline. It never holds a general slot.
type lanes struct {
	general chan struct{}
	places  chan struct{} // compute requests waiting or running
	compute chan struct{} // compute requests running
	wg      sync.WaitGroup
	running *atomic.Int64 // the server's gauge of handlers running
}

// SpareProcs gives compute handlers Go processors of their own, beyond the
// CPUs: it raises GOMAXPROCS by DefaultComputeSlots, unless GOMAXPROCS is
// set in the environment. A compute handler holds its processor for as long
// as it runs, and Go preempts it only after 10 ms, so on a machine with few
// CPUs status reads would queue behind it (and behind the GC workers its
// garbage wakes) for a processor. A process serving Compute methods calls
// it at start; calling it again changes nothing.
func SpareProcs() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.NumCPU() + DefaultComputeSlots())
	}
}

func newLanes(cfg *ServerConfig, running *atomic.Int64) *lanes {
	return &lanes{general: make(chan struct{}, cfg.Concurrency),
		places:  make(chan struct{}, cfg.ComputeSlots+cfg.ComputeQueue),
		compute: make(chan struct{}, cfg.ComputeSlots), running: running}
}

// tryAcquire takes a general slot if one is free, at once.
func (l *lanes) tryAcquire() bool {
	select {
	case l.general <- struct{}{}:
		l.took()
		return true
	default:
		return false
	}
}

// acquire waits for a general slot, until ctx ends.
func (l *lanes) acquire(ctx context.Context) bool {
	select {
	case l.general <- struct{}{}:
		l.took()
		return true
	case <-ctx.Done():
		return false
	}
}

func (l *lanes) took() {
	l.wg.Add(1)
	l.running.Add(1)
}

func (l *lanes) release() {
	l.running.Add(-1)
	<-l.general
	l.wg.Done()
}

// enter takes a place in the compute lane if one is free, at once.
func (l *lanes) enter() bool {
	select {
	case l.places <- struct{}{}:
		l.wg.Add(1)
		return true
	default:
		return false
	}
}

func (l *lanes) leave() {
	<-l.places
	l.wg.Done()
}

// computeSlot waits, holding a place, for a compute slot until ctx ends; the
// release func gives it back.
func (l *lanes) computeSlot(ctx context.Context) (release func(), ok bool) {
	select {
	case l.compute <- struct{}{}:
		l.running.Add(1)
		return func() { l.running.Add(-1); <-l.compute }, true
	case <-ctx.Done():
		return nil, false
	}
}

// wait waits for the handlers in flight, at most grace; then it cancels them
// and waits for them to return.
func (l *lanes) wait(grace time.Duration, cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancel()
		<-done
	}
}
