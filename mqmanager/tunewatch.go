package mqmanager

import "encoding/binary"

// A dial that runs out of time has a different outcome before and after
// the broker accepted the login (ConnectTimeoutError after, an
// unreachable broker before), and a caller waiting for another's dial
// has the outcome that dial would have (client_dialwait.go). The broker
// accepts a login by sending connection.tune, and amqp091-go answers it
// with connection.tune-ok before anything else: so a tuneWatch follows
// the frames a dial writes, from the protocol header on, until it sees
// tune-ok. It reads only frame headers and method ids, never payloads.

// tuneWatch parses the frames of a connection's writes, up to tune-ok.
type tuneWatch struct {
	header bool   // the 8-byte protocol header is behind
	skip   int    // bytes of the current frame still to pass over
	buf    []byte // the current frame's first bytes, split across writes
}

// sees takes the next bytes written and reports whether tune-ok was among
// them.
func (w *tuneWatch) sees(p []byte) bool {
	if !w.header {
		if p = w.fill(p, 8); len(w.buf) < 8 {
			return false
		}
		w.header, w.buf = true, nil
	}
	for len(p) > 0 {
		if w.skip > 0 {
			n := min(w.skip, len(p))
			w.skip, p = w.skip-n, p[n:]
			continue
		}
		if p = w.fill(p, 7); len(w.buf) < 7 { // type, channel, size
			return false
		}
		size := int(binary.BigEndian.Uint32(w.buf[3:7]))
		if w.buf[0] == 1 && size >= 4 { // a method frame: class and method first
			if p = w.fill(p, 11); len(w.buf) < 11 {
				return false
			}
			if binary.BigEndian.Uint16(w.buf[7:9]) == 10 && binary.BigEndian.Uint16(w.buf[9:11]) == 31 {
				return true
			}
		}
		w.skip = 7 + size + 1 - len(w.buf) // the rest of the frame and its end byte
		w.buf = nil
	}
	return false
}

// fill moves bytes of p into buf until it holds n, and returns the rest.
func (w *tuneWatch) fill(p []byte, n int) []byte {
	k := min(len(p), max(n-len(w.buf), 0))
	w.buf = append(w.buf, p[:k]...)
	return p[k:]
}
