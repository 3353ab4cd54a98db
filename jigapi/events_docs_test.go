package jigapi_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/jigapi"
)

// TestProtocolDocEvents checks docs/protocol.md's Events section against
// the contract: its kinds table lists jigapi.EventKinds, and its field
// table every field of jigapi.Event with its JSON type, and nothing else.
func TestProtocolDocEvents(t *testing.T) {
	kinds, fields := docEvents(readDoc(t))
	if !slices.Equal(kinds, jigapi.EventKinds) {
		t.Errorf("docs/protocol.md's event kinds are %v, the contract's %v", kinds, jigapi.EventKinds)
	}
	compareFields(t, "event", fieldsOf(reflect.TypeFor[jigapi.Event]()), fields)
}

// docEvents reads the "## Events" section's tables: the first cells of
// the "| kind |" table, and the "| event field |" table by path.
func docEvents(lines []string) (kinds []string, fields map[string]string) {
	fields = map[string]string{}
	var table string
	in := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "## "):
			in = l == "## Events"
		case !in:
		case strings.HasPrefix(l, "| kind "):
			table = "kind"
		case strings.HasPrefix(l, "| event field "):
			table = "field"
		case strings.HasPrefix(l, "| `"):
			cells := strings.Split(l, "|")
			name := strings.Trim(strings.TrimSpace(cells[1]), "`")
			if table == "kind" {
				kinds = append(kinds, name)
			} else if table == "field" && len(cells) > 3 {
				fields[name] = strings.TrimSpace(cells[2])
			}
		}
	}
	return kinds, fields
}
