package mqmanager

import (
	"slices"
	"testing"
)

func TestNodeOf(t *testing.T) {
	for in, want := range map[string]string{
		"amqp://guest:secret@rabbit-1:5673/": "rabbit-1:5673",
		"amqp://rabbit-2/":                   "rabbit-2:5672",
		"amqps://jig@rabbit-3.floor/vh":      "rabbit-3.floor:5671",
		"amqp://[::1]:5672/":                 "[::1]:5672",
		"not a url at all\x7f":               "",
	} {
		if got := NodeOf(in); got != want {
			t.Errorf("NodeOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRing: a walk starts after the URL last used; take goes round.
func TestRing(t *testing.T) {
	urls := []string{"a", "b", "c"}
	r := newRing(urls, 0)
	if got := r.order(); !slices.Equal(got, urls) {
		t.Fatalf("first walk %v", got)
	}
	r.used("b")
	if got := r.order(); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Fatalf("after b: %v", got)
	}
	var took []string
	for range 4 {
		took = append(took, r.take())
	}
	if !slices.Equal(took, []string{"c", "a", "b", "c"}) {
		t.Fatalf("take: %v", took)
	}
}

// TestRandomRingSpreads: servers start at every URL of their list, not
// all at the first. 300 draws over 3 URLs miss one with probability
// 3·(2/3)^300, about 10^-52.
func TestRandomRingSpreads(t *testing.T) {
	seen := map[string]bool{}
	for range 300 {
		seen[randomRing([]string{"a", "b", "c"}).take()] = true
	}
	if len(seen) != 3 {
		t.Fatalf("first nodes: %v", seen)
	}
}

// TestRingAgain: again makes a URL the next one taken.
func TestRingAgain(t *testing.T) {
	r := newRing([]string{"a", "b", "c"}, 0)
	r.take()
	b := r.take()
	r.again(b)
	if got := r.take(); got != "b" {
		t.Fatalf("after again(b): %q", got)
	}
}
