package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/internal/inventory"
)

// outcomeMissing is the outcome of an expected fixture (list --expected)
// whose manager did not answer.
const outcomeMissing = "missing"

// wanted is what list waits for: --expect N answers and every serial of
// --expected's inventory.
type wanted struct {
	n        int
	expected []string        // the inventory, in its order
	pending  map[string]bool // expected, not answered yet
	seen     int
}

// newWanted reads the inventory at path, if any; a bad one is a usage
// error.
func newWanted(n int, path string) (*wanted, error) {
	w := &wanted{n: n, pending: map[string]bool{}}
	if path == "" {
		return w, nil
	}
	serials, err := inventory.Load(path)
	if err != nil {
		return nil, cli.Exit(exitUsage, fmt.Errorf("--expected: %w", err))
	}
	w.expected = serials
	for _, s := range serials {
		w.pending[s] = true
	}
	return w, nil
}

// saw counts an answer, and says whether enough have answered: never
// without --expect or --expected (then list collects until --timeout).
func (w *wanted) saw(e *listEntry) bool {
	w.seen++
	delete(w.pending, e.Serial)
	return (w.n > 0 || len(w.expected) > 0) && w.seen >= w.n && len(w.pending) == 0
}

// missing are the entries of the expected fixtures that did not answer.
func (w *wanted) missing() []*listEntry {
	var out []*listEntry
	for _, s := range w.expected {
		if w.pending[s] {
			out = append(out, &listEntry{Serial: s, Outcome: outcomeMissing, Stats: "not_asked"})
		}
	}
	return out
}

// status is list's exit status, found managers having answered.
func (w *wanted) status(found int, missing []*listEntry, timeout time.Duration) error {
	switch {
	case len(missing) > 0:
		return cli.Exit(exitTimeout, fmt.Errorf("list: missing: %d of the %d expected fixtures did not answer within %v: %s",
			len(missing), len(w.expected), timeout, serialsOf(missing, 10)))
	case found == 0:
		return cli.Exit(exitTimeout, fmt.Errorf("list: timeout: no manager answered within %v", timeout))
	case found < w.n:
		return cli.Exit(exitTimeout, fmt.Errorf("list: timeout: %d of the %d expected managers answered within %v",
			found, w.n, timeout))
	}
	return nil
}

// serialsOf lists the entries' serials, at most max of them.
func serialsOf(entries []*listEntry, max int) string {
	var s []string
	for i, e := range entries {
		if i == max {
			s = append(s, fmt.Sprintf("and %d more", len(entries)-max))
			break
		}
		s = append(s, e.Serial)
	}
	return strings.Join(s, ", ")
}
