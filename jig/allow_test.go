package jig

import (
	"strings"
	"testing"
)

func TestAllows(t *testing.T) {
	c := Config{Commands: Commands{Allow: []string{"MEAS:*?", "*IDN?", "OUTP *", "SOUR:VOLT *"}}}
	for cmd, want := range map[string]bool{
		"MEAS:TEMP?": true, "meas:volt?": true, "MEAS:?": true, "*IDN?": true, "OUTP ON": true, "outp off": true,
		"MEAS:VOLT? 1": false, "MEAS:TEMP": false, "STAT?": false, "OUTP": false, "XOUTP ON": false,
		"*IDN?X": false, "SOUR:VOLT 5.0": true, "": false,
	} {
		if got := c.Allows(cmd); got != want {
			t.Errorf("Allows(%q) = %v, want %v", cmd, got, want)
		}
	}
}

func TestAllowDefaultIsStatusQueries(t *testing.T) {
	c := Config{}
	if got := strings.Join(c.AllowList(), ","); got != "*IDN?,STAT?" {
		t.Fatalf("default allow list %s", got)
	}
	if !c.Allows("STAT?") || c.Allows("OUTP ON") || c.Allows("MEAS:TEMP?") {
		t.Fatal("the default allows more than the status queries")
	}
	c.Queries = []Query{{Name: "v", Command: "MEAS:VOLT?"}}
	if !c.Allows("MEAS:VOLT?") || c.Allows("*IDN?") {
		t.Fatal("the default does not follow the configured queries")
	}
}

func TestAllowPatternsValidated(t *testing.T) {
	c := Config{Port: "/dev/null", Commands: Commands{Allow: []string{"OUTP *", "A;B", ""}}}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "commands.allow[1]") || !strings.Contains(err.Error(), "commands.allow[2]") {
		t.Fatalf("Validate: %v", err)
	}
}
