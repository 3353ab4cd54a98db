package sim_test

import (
	"path/filepath"
	"testing"

	"github.com/jigmq/jigmq/jig/sim"
)

// TestOutputs: the write commands change what the board answers, in order.
func TestOutputs(t *testing.T) {
	link := filepath.Join(t.TempDir(), "SIM-OUT")
	b, err := sim.Start(link, sim.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f, r := client(t, link)
	steps := []struct{ cmd, want string }{
		{"OUTP?", "OFF"}, {"MEAS:VOLT?", "0.000"}, {"SOUR:VOLT?", sim.DefaultVolt},
		{"OUTP ON", "OK"}, {"OUTP?", "ON"}, {"MEAS:VOLT?", sim.DefaultVolt},
		{"sour:volt 12.5", "OK"}, {"MEAS:VOLT?", "12.500"}, {"SOUR:VOLT 99", `ERR -222,"Data out of range"`},
		{"SOUR:VOLT x", `ERR -222,"Data out of range"`}, {"SOUR:VOLT?", "12.500"},
		{"OUTP 0", "OK"}, {"OUTP?", "OFF"}, {"MEAS:VOLT?", "0.000"}, {"OUTP 1", "OK"},
	}
	for _, s := range steps {
		if got := ask(t, f, r, s.cmd); got != s.want {
			t.Fatalf("%s -> %q, want %q", s.cmd, got, s.want)
		}
	}
	if !b.Output() {
		t.Fatal("Output() false after OUTP 1")
	}
}
