package sim

// recordSize is how many of the latest command lines a board remembers.
const recordSize = 1 << 14

// record counts cmd and remembers it; it returns the command's number,
// from 1.
func (b *Board) record(cmd string) uint64 {
	b.recMu.Lock()
	defer b.recMu.Unlock()
	n := b.queries.Add(1)
	b.rec[n%recordSize] = cmd
	return n
}

// Command is the n-th command line the board received (from 1), as it
// read it (trimmed); false if there was none, or it is too old to be
// remembered (the latest 16384 are). With Config.Tagged, answer "#n ..."
// is the answer to Command(n).
func (b *Board) Command(n uint64) (string, bool) {
	b.recMu.Lock()
	defer b.recMu.Unlock()
	if n == 0 || n > b.queries.Load() || b.queries.Load()-n >= recordSize {
		return "", false
	}
	return b.rec[n%recordSize], true
}

// Say makes the board send line unasked (with "\r\n"), as a board logging
// an event or rebooting does: for the reader, a line with no command
// outstanding.
func (b *Board) Say(line string) error {
	return b.write([]byte(line + "\r\n"))
}
