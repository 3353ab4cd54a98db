package mqmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// threadNice is the calling thread's nice value (the raw getpriority
// syscall answers 20 - nice).
func threadNice(t testing.TB) int {
	n, err := getNice()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func getNice() (int, error) {
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	return 20 - prio, err
}

// niceHandler answers the nice value of the thread it runs on.
var niceHandler = HandlerFunc(func(context.Context, *Request) (any, error) { return getNice() })

// processNice is the nice value of a thread of the runtime's pool.
func processNice(t testing.TB) int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return threadNice(t)
}

// TestComputeThreadNiced: fn runs on a thread of nice ComputeNice, and
// none of the runtime's threads is left niced: threads locked afterwards,
// as many as could be taken from the pool, all have the process's nice.
func TestComputeThreadNiced(t *testing.T) {
	base := processNice(t)
	if base >= ComputeNice {
		t.Skipf("the process already runs at nice %d", base)
	}
	for range 20 {
		var got int
		var gerr error
		if err := onComputeThread(func() { got, gerr = getNice() }); err != nil || gerr != nil {
			t.Fatal(err, gerr)
		}
		if got != ComputeNice {
			t.Fatalf("compute thread at nice %d, want %d", got, ComputeNice)
		}
	}
	var wg sync.WaitGroup
	nices := make(chan int, 64)
	for range cap(nices) {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			n, err := getNice()
			if err != nil {
				n = -100
			}
			nices <- n
			time.Sleep(10 * time.Millisecond) // hold the thread while the others take theirs
		})
	}
	wg.Wait()
	close(nices)
	for n := range nices {
		if n != base {
			t.Fatalf("a pooled thread at nice %d after compute, want %d", n, base)
		}
	}
}

// TestComputeMethodNiced: a Compute method's handler runs at ComputeNice
// and a general method's at the process's; a general request is answered
// while a compute handler runs; a compute handler's panic is an internal
// error reply, and the server goes on.
func TestComputeMethodNiced(t *testing.T) {
	base := processNice(t)
	running, release := make(chan struct{}), make(chan struct{})
	srv := startServerWith(t, nil, func(s *Server) {
		testHandlers(s)
		s.Handle("GeneralNice", niceHandler)
		s.Handle("ComputeNice", niceHandler, Compute())
		s.Handle("ComputeHold", HandlerFunc(func(ctx context.Context, _ *Request) (any, error) {
			close(running)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return getNice()
		}), Compute())
		s.Handle("ComputePanic", HandlerFunc(func(context.Context, *Request) (any, error) { panic("boom") }), Compute())
	})
	c := dialClient(t, ReplyShared)
	ask := func(method string) int {
		t.Helper()
		r, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, method, jigapi.NoArgs{})
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		var n int
		if err := json.Unmarshal(r.Result, &n); err != nil {
			t.Fatalf("%s: %s: %v", method, r.Result, err)
		}
		return n
	}
	if n := ask("ComputeNice"); n != ComputeNice {
		t.Fatalf("compute handler at nice %d, want %d", n, ComputeNice)
	}
	held := make(chan int, 1)
	go func() { held <- ask("ComputeHold") }()
	<-running
	if n := ask("GeneralNice"); n != base {
		t.Fatalf("general handler at nice %d, want %d", n, base)
	}
	close(release)
	if n := <-held; n != ComputeNice {
		t.Fatalf("held compute handler at nice %d, want %d", n, ComputeNice)
	}
	_, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "ComputePanic", jigapi.NoArgs{})
	wantRemote(t, err, jigapi.CodeInternal)
	if n := ask("ComputeNice"); n != ComputeNice {
		t.Fatalf("after a panic: compute handler at nice %d", n)
	}
}

// TestComputeRunsWhenPriorityCannotBeLowered: where setpriority is refused
// (a unit's SystemCallFilter without it), compute handlers still run, on a
// thread left at the process's priority and given back to the pool, and
// the server says so once, with the hint.
func TestComputeRunsWhenPriorityCannotBeLowered(t *testing.T) {
	lowerPriority = func(int) error { return syscall.EPERM }
	t.Cleanup(func() { lowerPriority = lowerThreadPriority })
	var logs bytes.Buffer
	s := &Server{cfg: ServerConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))}}
	base := processNice(t)
	for range 3 {
		got, ran := -100, false
		s.onCompute(func() {
			ran = true
			got = threadNice(t)
		})
		if !ran || got != base {
			t.Fatalf("handler ran %v, at nice %d; want it run at the process's %d", ran, got, base)
		}
	}
	if n := strings.Count(logs.String(), "compute handlers run at normal priority"); n != 1 {
		t.Fatalf("warned %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "SystemCallFilter must allow setpriority") {
		t.Fatalf("the warning gives no hint:\n%s", logs.String())
	}
}
