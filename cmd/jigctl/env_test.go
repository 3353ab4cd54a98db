package main

import (
	"strings"
	"testing"
)

// TestBadEnvironmentIsUsage: a bad JIGCTL_* value is a usage error (exit
// 2) naming the value, as the same value given as the flag would be; a
// value the flag's parser refuses names the variable too.
func TestBadEnvironmentIsUsage(t *testing.T) {
	for name, value := range map[string]string{
		"JIGCTL_TIMEOUT": "abc", "JIGCTL_CHECK_REPLY_USER": "yes", "JIGCTL_TLS_EXTERNAL": "maybe",
		"JIGCTL_OUTPUT": "xml", "JIGCTL_REPLY": "pigeon", "JIGCTL_REPLY_USER_FORMAT": "jig",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			_, errOut := wantCode(t, exitUsage, "ping", "JIG-1")
			if !strings.Contains(errOut, value) {
				t.Fatalf("stderr %q does not name the value %q", errOut, value)
			}
		})
	}
	t.Setenv("JIGCTL_TIMEOUT", "abc")
	_, errOut := wantCode(t, exitUsage, "ping", "JIG-1")
	if want := `jigctl: JIGCTL_TIMEOUT="abc": time: invalid duration "abc" (as --timeout)`; !strings.Contains(errOut, want) {
		t.Fatalf("stderr %q, want %q", errOut, want)
	}
}
