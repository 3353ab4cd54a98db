package mqmanager

import (
	"testing"
	"time"
)

// TestTuneWatch: a real dial's writes show tune-ok (the broker accepted
// the login) once the connection is open; and the parser finds it in a
// client's handshake written in pieces of any size, and not before it.
func TestTuneWatch(t *testing.T) {
	w, err := dial(ctxTimeout(t, 5*time.Second), testURL(), Broker{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if !w.sock.(*coalescingConn).Conn.(*heardConn).tuned.Load() {
		t.Error("dial open, tune-ok not seen")
	}
	for _, step := range []int{1, 3, 7, 64} {
		var tw tuneWatch
		seen := false
		for p := handshakeWrites(); len(p) > 0 && !seen; {
			n := min(step, len(p))
			seen, p = tw.sees(p[:n]), p[n:]
		}
		if !seen {
			t.Errorf("writes of %d bytes: tune-ok not seen", step)
		}
	}
	var tw tuneWatch
	if p := handshakeWrites(); tw.sees(p[:len(p)-12]) {
		t.Error("tune-ok seen before it was written")
	}
}

// handshakeWrites is what a client writes up to tune-ok: the protocol
// header, a start-ok (class 10, method 11) with a payload, a heartbeat
// frame, and tune-ok (class 10, method 31).
func handshakeWrites() []byte {
	frame := func(typ byte, payload []byte) []byte {
		n := len(payload)
		f := []byte{typ, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		return append(append(f, payload...), 0xCE)
	}
	out := []byte("AMQP\x00\x00\x09\x01")
	out = append(out, frame(1, append([]byte{0, 10, 0, 11}, make([]byte, 40)...))...)
	out = append(out, frame(8, nil)...)
	return append(out, frame(1, []byte{0, 10, 0, 31, 0, 0, 0, 2, 0, 0, 0, 5})...)
}
