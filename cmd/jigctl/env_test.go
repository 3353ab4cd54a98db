package main

import (
	"strings"
	"testing"
)

// TestBadEnvironmentIsUsage: a bad JIGCTL_* value is a usage error (exit
// 2) naming the value and the variable it came from, as the same value
// given as the flag would be named with the flag.
func TestBadEnvironmentIsUsage(t *testing.T) {
	for name, value := range map[string]string{
		"JIGCTL_TIMEOUT": "abc", "JIGCTL_CHECK_REPLY_USER": "yes", "JIGCTL_TLS_EXTERNAL": "maybe",
		"JIGCTL_OUTPUT": "xml", "JIGCTL_REPLY": "pigeon", "JIGCTL_REPLY_USER_FORMAT": "jig",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			_, errOut := wantCode(t, exitUsage, "ping", "JIG-1")
			if !strings.Contains(errOut, value) || !strings.Contains(errOut, name) {
				t.Fatalf("stderr %q does not name the value %q and where it came from, %s", errOut, value, name)
			}
		})
	}
	t.Setenv("JIGCTL_TIMEOUT", "abc")
	_, errOut := wantCode(t, exitUsage, "ping", "JIG-1")
	if want := `jigctl: JIGCTL_TIMEOUT="abc": time: invalid duration "abc" (as --timeout)`; !strings.Contains(errOut, want) {
		t.Fatalf("stderr %q, want %q", errOut, want)
	}
}

// TestBadFlagNamedAsTheFlag: a value given on the command line is named as
// the flag, even with the variable set too (the flag overrides it).
func TestBadFlagNamedAsTheFlag(t *testing.T) {
	t.Setenv("JIGCTL_OUTPUT", "json")
	_, errOut := wantCode(t, exitUsage, "ping", "JIG-1", "-o", "yaml")
	if !strings.Contains(errOut, `-o "yaml": want text or json`) || strings.Contains(errOut, "JIGCTL_OUTPUT") {
		t.Fatalf("stderr %q", errOut)
	}
}
