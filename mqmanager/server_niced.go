package mqmanager

import (
	"context"
	"encoding/json"
	"runtime"
	"runtime/debug"
)

// ComputeNice is the nice value of the threads that run compute handlers:
// the lowest priority there is short of SCHED_IDLE. A compute slot already
// leaves a CPU to the others (DefaultComputeSlots), but only as far as the
// Go runtime is concerned: to the kernel a Fib(10^6) thread weighs as much
// as the manager's status handler, the broker, the board's simulator and
// the caller, and on a two-core fixture PC they queue behind it for their
// slices. At 19 it weighs 15 against their 1024, so the kernel lets them
// run first, and the compute work fills the CPU time they leave.
const ComputeNice = 19

// onComputeThread runs fn on an OS thread of its own whose nice value is
// ComputeNice, and waits for it. The error says why the thread runs at the
// process's priority instead (the platform, or a seccomp filter without
// setpriority): fn runs either way.
//
// The goroutine never unlocks its thread: a goroutine that exits locked
// takes its thread with it, so that a thread whose priority was lowered,
// which an unprivileged process cannot raise again, never goes back to the
// runtime's pool to run status reads. A thread per compute request costs
// tens of microseconds, against milliseconds of compute. The wait for fn
// ends with fn's context: compute handlers stop between their steps once
// it ends (as fib.Fib does).
func onComputeThread(fn func()) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := lowerPriority(ComputeNice)
		if err != nil {
			runtime.UnlockOSThread() // its priority unchanged: it may serve again
		}
		// Deferred, so that the caller is answered even if fn ends its
		// goroutine (runtime.Goexit) instead of returning.
		defer func() { done <- err }()
		fn()
	}()
	return <-done
}

// lowerPriority is lowerThreadPriority; a test makes it fail as a seccomp
// filter without setpriority would.
var lowerPriority = lowerThreadPriority

// handlerPanic is a handler's panic on a compute thread, with the stack
// where it happened, passed back to invoke on the request's goroutine.
type handlerPanic struct {
	value any
	stack []byte
}

// onCompute runs fn on a compute thread (onComputeThread) and passes a
// panic in fn back to the caller's goroutine, whose recover sees a
// *handlerPanic.
func (s *Server) onCompute(fn func()) {
	var p *handlerPanic
	err := onComputeThread(func() {
		defer func() {
			if v := recover(); v != nil {
				p = &handlerPanic{value: v, stack: debug.Stack()}
			}
		}()
		fn()
	})
	s.noteNice(err)
	if p != nil {
		panic(p)
	}
}

// runCompute runs a compute method's handler on a compute thread, and
// there also encodes its result: the encoding of a large result is compute
// work too (Fib(10^6)'s 209 KB of digits).
func (s *Server) runCompute(ctx context.Context, req *Request, h Handler) (result any, err error) {
	s.onCompute(func() {
		result, err = h.Handle(ctx, req)
		if err == nil {
			result = preEncode(result)
		}
	})
	return result, err
}

// preEncode encodes result for the reply; one that does not encode is left
// for encodeReply to fail on, with the same error reply as any method's.
func preEncode(result any) any {
	raw, err := json.Marshal(result)
	if err != nil {
		return result
	}
	return encodedResult(raw)
}

// noteNice logs, once per server, that compute threads run at the
// process's priority.
func (s *Server) noteNice(err error) {
	if err != nil {
		s.niceOnce.Do(func() {
			s.cfg.Logger.Warn("compute handlers run at normal priority: status reads may wait behind them",
				"err", err, "hint", "a systemd unit's SystemCallFilter must allow setpriority")
		})
	}
}
