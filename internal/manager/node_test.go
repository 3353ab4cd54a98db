package manager

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// TestPingStatsNode: Ping and Stats say which broker node the manager
// serves from, as host:port without credentials.
func TestPingStatsNode(t *testing.T) {
	f := startFixture(t, nil)
	want := mqmanager.NodeOf(testURL())
	if got := f.ping(t).Node; got != want || want == "" {
		t.Fatalf("ping node %q, want %q", got, want)
	}
	r, err := f.ask(t, "Stats", nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var st jigapi.StatsResult
	if err := json.Unmarshal(r.Result, &st); err != nil || st.Server.Node != want {
		t.Fatalf("stats node %q (%v), want %q", st.Server.Node, err, want)
	}
}
