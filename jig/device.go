package jig

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.bug.st/serial"
)

// Status is the result of one status read. (Its form on the wire is
// jigapi.Status.)
type Status struct {
	Port      string
	Connected bool
	Identity  string            // answer of the "identity" query
	State     string            // answer of the "state" query
	Fields    map[string]string // every query's answer, by name
	ReadMS    float64           // from the first query's write to the last answer
	ReadAt    time.Time         // when the first query was written
	// Reconnects is the port's reopens (Stats.Reconnects) when it was
	// read: a later reopen is another connection, maybe another board.
	Reconnects uint64
}

// Device is one fixture's controller board on a serial port. It is safe for
// concurrent use. See the package documentation for its behaviour.
type Device struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the supervisor, reads in flight, Dos (track)

	qs           []query        // the status read's queries
	banner       *regexp.Regexp // Config.Banner, if set, unanchored
	probePattern *regexp.Regexp // Config.Resync.Pattern, if set

	// Holding conv (a one-slot semaphore) owns everything down to opened.
	conv      chan struct{}
	port      serial.Port // nil when closed
	lock      *portLock   // held while port is open (lock.go)
	id        fileID      // identity of the device node port was opened on
	fr        *framer
	buf       []byte
	rest      []byte // what the last read brought beyond the line taken
	outOfStep bool   // no answer is trusted until a resync succeeds
	inStepAns string // the probe's answer at the last resync (the fence's, without nonce or pattern)
	lastExtra string // excerpt of the last unsolicited input, for errors
	unsolLog  unsolicitedLog
	owes      owed                   // answers the board still owes (owed.go)
	owing     atomic.Int64           // len(owes.debts), for callers that do not hold the port
	owingWhat atomic.Pointer[string] // the latest debt, as waiting tells it
	resyncing atomic.Int32           // why a resync is under way, if one is (handoff.go)
	inStepYet bool                   // the line has been in step since the port opened
	pace      pace                   // the board's latest answer times (pace.go)
	// opened counts successful opens (the first is not a reconnect).
	opened uint64

	held      atomic.Int64 // unix ns a conversation took the port; 0 if free
	heldLimit atomic.Int64 // how long that conversation may hold it, ns

	connected atomic.Bool
	wake      chan struct{} // asks the supervisor to reconnect now
	round     atomic.Int64  // unix ns the supervisor last came round its loop

	flightMu sync.Mutex
	flight   *flight // the read in flight, if any

	count counters

	closeOnce sync.Once
}

// flight is one status read, shared by every caller that arrives while it
// runs.
type flight struct {
	done    chan struct{}
	started time.Time
	st      Status
	err     error
}

// Open validates cfg and starts managing the port. It does not fail when
// the port is absent: it keeps trying to open it in the background, and
// Status reports ErrUnavailable meanwhile. logger may be nil.
func Open(cfg Config, logger *slog.Logger) (*Device, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return OpenValidated(cfg, logger), nil
}

// OpenValidated is Open for a cfg its caller has validated already, as a
// daemon does that reports the problems of its whole configuration at
// once: Validate runs once. An invalid cfg may panic.
func OpenValidated(cfg Config, logger *slog.Logger) *Device {
	cfg = cfg.withDefaults()
	cfg.Queries = slices.Clone(cfg.Queries) // the caller may reuse its slice
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Device{
		cfg: cfg, log: logger.With("port", cfg.Port),
		ctx: ctx, cancel: cancel,
		conv: make(chan struct{}, 1),
		fr:   newFramer(cfg.MaxLine),
		buf:  make([]byte, 512),
		wake: make(chan struct{}, 1),
		qs:   compileQueries(cfg.Queries), banner: compile(strings.TrimPrefix(cfg.Banner, "^")),
		probePattern: compile(cfg.Resync.Pattern),
	}
	d.conv <- struct{}{}
	d.round.Store(time.Now().UnixNano())
	d.wg.Add(1)
	go d.supervise()
	return d
}

// Port is the configured port path.
func (d *Device) Port() string { return d.cfg.Port }

// Connected reports whether the port is open and still the device behind
// its path. It is kept current in the background, also while idle.
func (d *Device) Connected() bool { return d.connected.Load() }

// compileQueries is the conversation's form of a validated query list.
func compileQueries(qs []Query) []query {
	out := make([]query, len(qs))
	for i, q := range qs {
		out[i] = query{name: q.Name, command: q.Command, pattern: compile(q.Pattern)}
	}
	return out
}

// Close stops the background work, waits for it, and closes the port. It is
// idempotent; Status after Close fails with ErrUnavailable.
func (d *Device) Close() error {
	var err error
	d.closeOnce.Do(func() {
		// Under flightMu, so no Status call can start a read after this.
		d.flightMu.Lock()
		d.cancel()
		d.flightMu.Unlock()
		d.wg.Wait()
		// Every goroutine that could hold the port has returned.
		err = d.closePort()
	})
	return err
}

// Status reads the fixture's status: every configured query in order. If a
// read is already in flight, the call shares its result instead of starting
// another. ctx bounds only this caller's wait.
func (d *Device) Status(ctx context.Context) (Status, error) {
	f, err := d.join()
	if err != nil {
		return d.failed(), err
	}
	select {
	case <-f.done:
		st := f.st // each caller gets its own Fields, free to modify
		st.Fields = maps.Clone(st.Fields)
		return st, f.err
	case <-ctx.Done():
		return d.failed(), d.cutWhileReadying(ctx.Err())
	}
}

// join returns the read in flight, or starts one.
func (d *Device) join() (*flight, error) {
	d.flightMu.Lock()
	defer d.flightMu.Unlock()
	if d.ctx.Err() != nil {
		return nil, unavailable(d.cfg.Port, errClosed)
	}
	if f := d.flight; f != nil {
		d.count.coalesced.Add(1)
		return f, nil
	}
	f := &flight{done: make(chan struct{}), started: time.Now()}
	d.flight = f
	d.wg.Add(1)
	go d.fly(f)
	return f, nil
}

// track counts work on the Device (a Do, a line readied for one) in wg,
// so that Close waits for it before it closes the port, unless Close has
// begun. Under flightMu, as Close cancels under it.
func (d *Device) track() bool {
	d.flightMu.Lock()
	defer d.flightMu.Unlock()
	if d.ctx.Err() != nil {
		return false
	}
	d.wg.Add(1)
	return true
}

// fly runs one read for everyone sharing f. The read ends the flight once
// its last answer is in (before the fence), and at the latest before it
// gives the port back, so that a Status called after every answer came
// (whose answers would all be older than it), or after a later
// conversation (a Do that changed the board), never shares it.
func (d *Device) fly(f *flight) {
	defer d.wg.Done()
	f.st, f.err = d.read(d.ctx, func() { d.landed(f) })
	close(f.done)
}

// landed ends the flight f, if it is still the one in the air: Status
// calls from now on start another read. It may be called more than once.
func (d *Device) landed(f *flight) {
	d.flightMu.Lock()
	if d.flight == f {
		d.flight = nil
	}
	d.flightMu.Unlock()
}

// failed is the Status that goes with an error.
func (d *Device) failed() Status {
	return Status{Port: d.cfg.Port, Connected: d.Connected(), Fields: map[string]string{}}
}

// errorsIsUnavailable reports whether err means the port must be reopened.
func errorsIsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }
