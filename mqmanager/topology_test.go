package mqmanager

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzValidSerial: the hand-written check accepts exactly what its pattern
// does.
func FuzzValidSerial(f *testing.F) {
	for _, s := range []string{"", "a", "_all", "-x", "JIG-0001", "a.b", "a b", "x_y-z", "é", "A*", "0_", "a\n",
		strings.Repeat("a", 64), strings.Repeat("a", 65)} {
		f.Add(s)
	}
	re := regexp.MustCompile(serialPattern)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidSerial(s), re.MatchString(s); got != want {
			t.Fatalf("ValidSerial(%q) = %v, pattern %s says %v", s, got, serialPattern, want)
		}
	})
}
