package sim

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jigmq/jigmq/internal/filekind"
)

// Default identity and state of a simulated board.
const (
	DefaultIdentity = "JIGMQ,JigSim,SIM-0001,1.0"
	DefaultState    = "READY"
)

// closeWait bounds how long Close waits for the serving goroutine, which
// stops as soon as the pty is closed.
const closeWait = 5 * time.Second

// DefaultLate is how late FaultLate answers by default: after jig's
// default query timeout of 1s.
const DefaultLate = 2 * time.Second

// Config is what a simulated board answers and how it misbehaves.
type Config struct {
	Identity string        // answer to *IDN?; DefaultIdentity if empty
	State    string        // answer to STAT?; DefaultState if empty
	Delay    time.Duration // wait before each answer (a slow board)
	Fault    Fault         // initial fault, see SetFault
	// Every makes the fault hit one command in Every (those whose number
	// is a multiple of it); the others are answered correctly. 0 or 1:
	// every command.
	Every uint64
	// Late is how much later than Delay FaultLate answers, and how long
	// after its first output FaultDouble repeats its answer and FaultReset
	// prints its banner; DefaultLate if zero.
	Late time.Duration
	// Tagged prefixes every answer with "#<n> ", n the number of the
	// command it answers (see Board.Command), so a reader's pairing of
	// answers with commands can be checked. Echoes and banners are not
	// tagged: they answer nothing.
	Tagged bool
	// Noise sends a burst of line noise as soon as the board is plugged
	// in, before any command, as a board powering up may.
	Noise bool
	// Seed seeds FaultMix's choices, so a run can be repeated; 0 is 1.
	Seed uint64
	// Only, if set, confines the fault to this command (compared without
	// case, as commands are): every other command is answered correctly,
	// and Every counts this command alone.
	Only string
	// Aside makes FaultLate answers come from a queue while the board
	// goes on answering other commands, as a board whose slow command
	// runs in the background does: its answer comes in the middle of
	// whatever conversation follows. Without it the board answers nothing
	// until the late answer is out.
	Aside bool
}

// Board is a simulated fixture controller board on a pseudo-terminal,
// reachable through a symlink (its "port"), like a USB-serial adapter under
// /dev/serial/by-id. Close is unplugging it; starting a new Board at the
// same link is plugging it back in, with a new /dev/pts/N behind the same
// path, exactly like a real adapter gets a new device node.
type Board struct {
	link     string
	pty      *pty
	log      *slog.Logger
	delay    time.Duration
	ident    string
	state    atomic.Value // string
	fault    atomic.Int64
	queries  atomic.Uint64
	tagged   bool
	late     time.Duration
	every    uint64
	only     string
	onlyHits atomic.Uint64 // commands equal to only received
	out      outputs

	writeMu sync.Mutex // one writer of an output at a time (serve, aside)
	aside   chan delayed

	rngMu sync.Mutex
	rng   *rand.Rand
	recMu sync.Mutex
	rec   [recordSize]string

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Start creates a pseudo-terminal, points link at its slave (atomically, so
// a reader never sees the link missing or half-made), and serves the line
// protocol on it until Close. logger may be nil.
func Start(link string, cfg Config, logger *slog.Logger) (*Board, error) {
	if link == "" {
		return nil, errors.New("sim: empty link path")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p, err := openPTY()
	if err != nil {
		return nil, err
	}
	if err := replaceSymlink(p.path, link); err != nil {
		p.close()
		return nil, err
	}
	b := &Board{
		link: link, pty: p, delay: cfg.Delay,
		log:    logger.With("link", link, "pty", p.path),
		ident:  orDefault(cfg.Identity, DefaultIdentity),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		tagged: cfg.Tagged, late: cmp.Or(cfg.Late, DefaultLate), every: max(cfg.Every, 1),
		rng: rand.New(rand.NewPCG(max(cfg.Seed, 1), 0x6a6967)), only: cfg.Only,
	}
	if cfg.Aside {
		b.aside = make(chan delayed, asideMax)
	}
	b.state.Store(orDefault(cfg.State, DefaultState))
	b.fault.Store(int64(cfg.Fault))
	if cfg.Noise {
		if _, err := p.master.Write(garbage()); err != nil {
			p.close()
			return nil, fmt.Errorf("sim: noise: %w", err)
		}
	}
	go b.serve()
	b.log.Info("board plugged in", "fault", cfg.Fault.String())
	return b, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// replaceSymlink makes link point at target by creating the symlink under a
// temporary name in the same directory and renaming it over link. Only a
// board's symlink (to a pseudo-terminal, live or gone: a replug) is
// replaced: anything else at link (a file, a device node such as
// /dev/ttyS0, a udev link to a real adapter) is refused, never deleted.
func replaceSymlink(target, link string) error {
	if err := replaceable(link); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(link),
		"."+filepath.Base(link)+".tmp"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sim: %w", err)
	}
	return nil
}

// replaceable says why link must not be replaced, or nil: it does not
// exist, or it is a symlink that dangles or leads to a pseudo-terminal.
func replaceable(link string) error {
	fi, err := os.Lstat(link)
	if err != nil {
		return nil // nothing there (or nothing we can see: the rename says)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("sim: %s exists and is not a symlink (%s): not replacing it", link, filekind.Of(fi.Mode()))
	}
	to, err := filepath.EvalSymlinks(link)
	if err != nil || strings.HasPrefix(to, ptsDir) {
		return nil // a board that is gone, or one being replugged
	}
	return fmt.Errorf("sim: %s leads to %s, not a pseudo-terminal: not replacing it", link, to)
}

// Path is the board's pseudo-terminal, /dev/pts/N.
func (b *Board) Path() string { return b.pty.path }

// Link is the symlink the board was started at.
func (b *Board) Link() string { return b.link }

// SetFault changes how the board answers from the next command on (a
// command already being answered keeps its fault).
func (b *Board) SetFault(f Fault) { b.fault.Store(int64(f)) }

// SetState changes the answer to STAT?.
func (b *Board) SetState(s string) { b.state.Store(s) }

// Queries is the number of command lines the board has received.
func (b *Board) Queries() uint64 { return b.queries.Load() }

// Close unplugs the board: the link is removed (unless it already points at
// a newer board), the pseudo-terminal is hung up and closed, and Close
// waits for the serving goroutine. It is idempotent.
func (b *Board) Close() error {
	b.closeOnce.Do(func() {
		if target, err := os.Readlink(b.link); err == nil && target == b.pty.path {
			if err := os.Remove(b.link); err != nil && !errors.Is(err, os.ErrNotExist) {
				b.closeErr = fmt.Errorf("sim: %w", err)
			}
		}
		close(b.stop)
		if err := b.pty.close(); err != nil && b.closeErr == nil {
			b.closeErr = fmt.Errorf("sim: close pty: %w", err)
		}
		select {
		case <-b.done:
		case <-time.After(closeWait):
			b.closeErr = errors.Join(b.closeErr, errors.New("sim: board goroutine did not stop"))
		}
		b.log.Info("board unplugged", "queries", b.queries.Load())
	})
	return b.closeErr
}
