package sim

import (
	"strconv"
	"strings"
	"sync"
)

// DefaultVolt is the source voltage a board starts with.
const DefaultVolt = "5.000"

// outputs is the board's settable side: an output switch and the source
// voltage it puts out, which MEAS:VOLT? measures while the output is on.
type outputs struct {
	mu   sync.Mutex
	on   bool
	volt string // as set, normalised to 3 decimals; "" is DefaultVolt
}

// setting answers the write and read commands of the outputs: OUTP ON|OFF
// (also 1|0), OUTP?, SOUR:VOLT <volts> (0 to 30), SOUR:VOLT?, MEAS:VOLT?. A
// write is answered "OK". ok is false for any other command. up is cmd in
// upper case.
func (o *outputs) setting(up string) (ans string, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case up == "OUTP ON" || up == "OUTP 1":
		o.on = true
		return "OK", true
	case up == "OUTP OFF" || up == "OUTP 0":
		o.on = false
		return "OK", true
	case up == "OUTP?":
		return map[bool]string{true: "ON", false: "OFF"}[o.on], true
	case strings.HasPrefix(up, "SOUR:VOLT "):
		return o.setVolt(strings.TrimSpace(up[len("SOUR:VOLT "):])), true
	case up == "SOUR:VOLT?":
		return o.sourceVolt(), true
	case up == "MEAS:VOLT?":
		if !o.on {
			return "0.000", true
		}
		return o.sourceVolt(), true
	}
	return "", false
}

func (o *outputs) setVolt(arg string) string {
	v, err := strconv.ParseFloat(arg, 64)
	if err != nil || v < 0 || v > 30 {
		return `ERR -222,"Data out of range"`
	}
	o.volt = strconv.FormatFloat(v, 'f', 3, 64)
	return "OK"
}

func (o *outputs) sourceVolt() string {
	if o.volt == "" {
		return DefaultVolt
	}
	return o.volt
}

// Output reports whether the board's output is switched on (OUTP ON).
func (b *Board) Output() bool {
	b.out.mu.Lock()
	defer b.out.mu.Unlock()
	return b.out.on
}
