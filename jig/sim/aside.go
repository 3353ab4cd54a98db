package sim

import "time"

// asideMax bounds the answers Config.Aside keeps queued; a command that
// would queue more is answered by nothing, as a board with a full queue
// drops it.
const asideMax = 64

// delayed is an answer put aside, and when it is due.
type delayed struct {
	out []byte
	due time.Time
}

// putAside queues ans to be sent after wait, in order with the others
// (Config.Aside); the board goes on serving meanwhile. It reports false
// once the board is closing.
func (b *Board) putAside(ans string, wait time.Duration) bool {
	select {
	case b.aside <- delayed{out: []byte(ans + "\r\n"), due: time.Now().Add(wait)}:
	case <-b.stop:
		return false
	default:
		b.log.Warn("answer queue full, answer dropped", "answer", ans)
	}
	return true
}

// sendAside sends the answers put aside, each when it is due, until the
// queue is closed (by serve, its owner, which then waits for done) or the
// board closes.
func (b *Board) sendAside(done chan<- struct{}) {
	defer close(done)
	for d := range b.aside {
		if !b.sleep(time.Until(d.due)) || b.write(d.out) != nil {
			for range b.aside { // drain, so serve's close never blocks a send
			}
			return
		}
	}
}

// write sends out to the reader in one piece, never interleaved with
// another output.
func (b *Board) write(out []byte) error {
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	_, err := b.pty.master.Write(out)
	return err
}
