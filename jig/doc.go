// Package jig talks to a test fixture's controller board over a serial
// port, and turns its answers into a status: the fixture side of jigmq.
//
// # The line protocol
//
// The board speaks an ASCII, line-terminated, SCPI-style command/response
// protocol: one command line in, one answer line out. A status read is not
// hard-wired: it is the list of queries in Config.Queries, each a name and
// a command, by default
//
//	identity  *IDN?   e.g. JIGMQ,JigSim,SIM-0001,1.0
//	state     STAT?   e.g. READY
//
// Every query's answer lands in Status.Fields under its name; the answers
// of the queries named "identity" and "state" also fill Status.Identity and
// Status.State. Commands are sent followed by Config.LineEnding ("\n" by
// default); answers may end in "\n" or "\r\n".
//
// # Honest answers
//
// An answer is trusted only when it provably answers the command just
// sent, because boards echo commands, print banners on reset, speak
// unasked and answer late. The Device keeps a conversation state; the
// line is out of step after a timeout, a caller's context ending
// mid-exchange, framing trouble, input nobody asked for, or a (re)open.
// Before the next command a line out of step is re-synchronised
// (Config.Resync): the input must be quiet for Resync.Quiet, then the
// probe is answered (twice alike; or once, matching Resync.Pattern; or
// once containing a fresh token substituted for "{nonce}", which proves
// it), then the input must be quiet again for a query timeout (an answer
// taken for the probe's may have been a late one or a copy, the probe's
// own still to come on a slow board; with a nonce probe and no answer
// owed, Resync.Quiet). Only then is a command sent. A
// failed resync fails the read; the next one tries again. A command left
// unanswered is owed its answer for Resync.Late: no command is written
// while one is owed, the next conversation waiting for it first (see
// owed.go), paid only by a line that could be its answer, so a late
// answer is not taken for a later command's (for a command with no
// pattern, an unasked line can pay: see owed.go).
//
// Per command: write it, then read lines within Config.QueryTimeout. With
// Config.Echo the first line must be the command's echo; without it, a
// line equal to the command is an echo, skipped and counted. A blank line,
// a line matching Config.Banner, or a second echo is never an answer and
// fails the exchange. The answer must match its query's Pattern, if any;
// and nothing may follow it before the next command (input there, such as
// the rest of a banner, makes it untrusted). A query whose command is the
// probe's, when the probe is sent twice, must answer as the probe did at
// the last resync. Every conversation ends with a fence, the probe once
// more, whose answer must be the very next line and the probe's own (see
// fence.go): a board that answers twice, swallows an answer or answers
// seconds late shifts the pairing of lines to commands, the shift reaches
// the fence, and the conversation fails instead of answering with another
// command's line. (A fence sees net shifts only; Config.Banner, found
// anywhere in a line, and the queries' patterns catch a line a reset cut.)
// Lines that arrive while no command is outstanding are unsolicited: the
// background goroutine reads and discards them, logs and counts them
// (Stats.UnsolicitedLines). The queries of a read run back to back in one
// conversation and the read stops at the first failure; a failed read
// returns no fields.
//
// Device.Do is the same conversation for one command line, bounded by the
// caller's context; ValidateCommand says which lines are commands.

// # Outcomes
//
// A status read ends in exactly one of:
//
//   - a Status, with Connected true and every field filled;
//   - ErrUnavailable (wrapped with the port path and the cause): the port
//     does not exist, cannot be opened, is held by another process or
//     Device (ErrInUse, see below), or failed during the read (it was
//     unplugged: EIO, a hang-up, the path gone);
//   - ErrTimeout (wrapped with the command and the timeout): the board did
//     not send a whole line in time, either nothing at all or an
//     unterminated fragment (the message says which);
//   - *FixtureError: the board answered, but the answer is unusable. Either
//     it starts with "ERR" (the board's own error report, e.g.
//     ERR -113,"Undefined header"; Reason is empty), or it does not
//     provably answer the command (see above: pattern, banner, blank line,
//     echo, input after it, a failed fence or resync), or it is not a
//     protocol line:
//     a byte that is not printable ASCII (noise, a wrong baud rate), a
//     stray carriage return, or a line longer than Config.MaxLine. Those are
//     refused the moment the offending byte arrives, so a runaway board can
//     neither hang a read nor make it buffer without bound; the line is
//     then out of step, and the resync drains the rest. Query names the
//     query, Reason says what was wrong and Answer holds an escaped,
//     bounded excerpt.
//
// A caller's context ending is reported as the context's error, wrapped
// with ErrResyncing if the line was being re-synchronised then (the time
// went to that, not to the caller's commands).
//
// # One conversation at a time, shared reads
//
// The port is one conversation at a time: a read (or a Do) holds it from
// the resync, if any, to its fence's answer, and Liveness reports one that
// holds it for longer than its commands allow. Status calls that arrive while a read is in
// flight do not queue behind it for a read of their own: they share its
// result (counted in Stats.CoalescedReads). So fifty simultaneous requests
// cost one or two reads, and a burst of requests cannot make a slow board
// fall ever further behind. The shared read belongs to the Device, not to
// the caller that started it: each caller stops waiting when its own
// context ends, without cutting the read short for the others; the query
// timeouts bound the read itself.
//
// # Unplugging and replugging
//
// Open does not need the port to exist. A Device owns one background
// goroutine that, while the port is closed, retries opening it by path with
// exponential backoff from Config.ReconnectMin to Config.ReconnectMax, and
// while it is open, checks it a few times a second even when idle: the path
// must still resolve to the same device node (device and inode numbers),
// and a non-blocking read must not report a hang-up. So Connected is
// truthful for a health check with no reads going on. A USB-serial adapter
// that is pulled and plugged back in comes back as a new device node behind
// the same /dev/serial/by-id symlink; the Device notices the change, closes
// the stale descriptor and opens the new node, without being recreated. A
// Status call that finds the port closed also tries to open it at once, so
// a replug is picked up by the first request rather than the next retry.
// A port the background goroutine opens has its line readied (the resync)
// at once, under the Device's lifetime, so that the first request after a
// replug finds it in step instead of paying for the resync's silence itself
// (handoff.go); a request that comes during it waits, and if it gives up
// first, its error wraps ErrResyncing.
//
// A Device uses the port only while it holds the port's advisory lock
// (flock, which binds root too, unlike TIOCEXCL), taken before the port is
// opened and its settings applied, and released when it is closed: a
// Device refused it leaves the line as it was, and retries as for a
// missing port. The rule, for the product: docs/protocol.md, "One manager
// per port".
//
// Reading uses go.bug.st/serial with a short read timeout (50ms), on which
// it returns (0, nil); the reader loops under its own deadline, and that
// timeout also bounds how late a read in progress notices Close.
//
// # Lifecycle
//
// Close stops the background goroutine and any read in flight, waits for
// them, and closes the port; it is idempotent. Status after Close returns
// ErrUnavailable. A Device logs through the slog.Logger given to Open, with
// key/value attributes, and logs nothing when it is nil.
//
// # The simulator
//
// Package jig/sim plays the board on a pseudo-terminal, with faults to
// order (silent, garbage, error, partial, longline, late, echo, banner,
// trickle, double, reset, mix) and tagged answers ("#N", the number of
// the command answered, to check pairing), behind a symlink that stands in for
// /dev/serial/by-id; cmd/jigsim runs it as a program. The tests of this
// package run against it, on real pseudo-terminals.
package jig
