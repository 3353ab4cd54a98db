package gateway

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// heartbeatOf publishes a heartbeat for serial on the test broker, as a
// manager announcing a 60 s heartbeat would, with no manager behind it:
// the gateway would keep it up for three minutes.
func heartbeatOf(t *testing.T, ch *amqp.Channel, serial string, seq uint64) {
	t.Helper()
	now := time.Now()
	body, _ := json.Marshal(jigapi.Event{Serial: serial, Kind: jigapi.EvtHeartbeat, Seq: seq, At: now,
		Summary: jigapi.Summary{Connected: true, State: "READY", LastReadAt: now, StartedAt: now, HeartbeatS: 60}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := ch.PublishWithContext(ctx, "amq.topic", jigapi.EventKey(serial, jigapi.EvtHeartbeat), false, false,
		amqp.Publishing{ContentType: "application/json", Body: body, Expiration: "10000"})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoFixtureReadEndsUp: a live read through the gateway that finds no
// manager for a fixture on the bus (no_fixture) makes its row stale at
// once, in the row, on the stream and in jig_fixture_up, not three
// heartbeats later; its next event makes it heard again.
func TestNoFixtureReadEndsUp(t *testing.T) {
	g := startGateway(t, nil)
	g.awaitBroker(t, BrokerConnected, 10*time.Second)
	serial := "GW-" + uuid.NewString()[:8]
	ch := testutil.RawChannel(t, testURL())
	heartbeatOf(t, ch, serial, 1)
	g.awaitFixture(t, serial, func(x Fixture) bool { return x.Current != nil })
	up := func(v float64) {
		t.Helper()
		testutil.CheckMetrics(t, testutil.Scrape(t, g.base+"/metrics"),
			[]testutil.Want{{Name: "jig_fixture_up", Labels: map[string]string{"serial": serial}, Value: v}})
	}
	up(1)
	s := openStream(t, g.base)
	var a answer
	if st := g.get(t, "GET", "/api/v1/fixtures/"+serial+"/status", "", &a); st != 404 || a.Outcome != OutcomeNoFixture {
		t.Fatalf("status read with no manager: %d %+v", st, a)
	}
	var row Fixture
	g.get(t, "GET", "/api/v1/fixtures/"+serial, "", &row)
	if !row.Stale || row.Current != nil || row.StatusError == nil || row.StatusError.Outcome != OutcomeNoFixture {
		t.Fatalf("after no_fixture: stale %v, current %+v, status_error %+v; want stale, none current, no_fixture",
			row.Stale, row.Current, row.StatusError)
	}
	s.awaitRow(t, serial, func(x Fixture) bool { return x.Stale })
	up(0)
	heartbeatOf(t, ch, serial, 2)
	g.awaitFixture(t, serial, func(x Fixture) bool { return !x.Stale })
	up(1)
}
