package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// hub fans the fleet's changes out to the server-sent event streams. Each
// subscriber has a buffer of subBuffer messages; one that falls that far
// behind is disconnected (its browser reconnects and gets a fresh
// snapshot), so a slow reader never holds memory or the others up. At
// most maxSubs streams are open at once.
type hub struct {
	mu      sync.Mutex
	subs    map[chan []byte]struct{}
	maxSubs int
	onCount func(int)
}

const subBuffer = 256

func newHub(maxSubs int, onCount func(int)) *hub {
	return &hub{subs: map[chan []byte]struct{}{}, maxSubs: maxSubs, onCount: onCount}
}

func (h *hub) subscribe() (chan []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) >= h.maxSubs {
		return nil, false
	}
	c := make(chan []byte, subBuffer)
	h.subs[c] = struct{}{}
	h.onCount(len(h.subs))
	return c, true
}

func (h *hub) unsubscribe(c chan []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[c]; ok {
		delete(h.subs, c)
		close(c)
		h.onCount(len(h.subs))
	}
}

// publish sends a fixture's new view to every stream, dropping streams
// whose buffer is full. With no stream open it encodes nothing: a live
// status read through the API (the hot path) then costs no JSON of the
// row. The gateway calls it under changeMu (Gateway.change), under which
// a new stream subscribes and reads its snapshot (serveEvents): a stream
// gets every change after its snapshot, in order.
func (h *hub) publish(f Fixture) {
	if h.count() == 0 {
		return
	}
	h.broadcast(sseMessage("fixture", f))
}

// broadcast sends msg to every stream, dropping streams whose buffer is
// full; under changeMu, as publish.
func (h *hub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	dropped := false
	for c := range h.subs {
		select {
		case c <- msg:
		default:
			delete(h.subs, c)
			close(c)
			dropped = true
		}
	}
	if dropped {
		h.onCount(len(h.subs))
	}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func sseMessage(event string, v any) []byte {
	data, _ := json.Marshal(v)
	return fmt.Appendf(nil, "event: %s\ndata: %s\n\n", event, data)
}

// serveEvents is GET /api/v1/events: a "broker" event (the broker state)
// and a "fixture" event per fixture at once (the snapshot), then one per
// change, and a comment every 15 s so that proxies keep the stream open.
func (g *Gateway) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		g.refuse(w, r, refuse(RefusedInternal, "streaming unsupported"))
		return
	}
	g.changeMu.Lock() // the snapshot, then every change after it, in order
	c, ok := g.hub.subscribe()
	var snapshot []Fixture
	var broker BrokerState
	if ok {
		snapshot, broker = g.fleet.List(), g.broker.State()
	}
	g.changeMu.Unlock()
	if !ok {
		g.refuse(w, r, refuse(RefusedTooManyStreams, "too many event streams open"))
		return
	}
	defer g.hub.unsubscribe(c)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(sseMessage("broker", broker))
	for _, f := range snapshot {
		w.Write(sseMessage("fixture", f))
	}
	fl.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-g.done:
			return
		case <-ping.C:
			w.Write([]byte(": keep-alive\n\n"))
		case msg, ok := <-c:
			if !ok {
				return // too slow: dropped
			}
			w.Write(msg)
			if !drain(w, c) {
				fl.Flush()
				return
			}
		}
		fl.Flush()
	}
}

// drain writes the messages already waiting on c, so that a burst of
// changes (a fleet's heartbeats arriving together) goes out in one flush,
// one write to the socket, rather than one each. It waits for nothing:
// what has not arrived yet is the next select's. It reports false if c
// was closed (the stream was dropped as too slow).
func drain(w http.ResponseWriter, c chan []byte) bool {
	for range subBuffer {
		select {
		case msg, ok := <-c:
			if !ok {
				return false
			}
			w.Write(msg)
		default:
			return true
		}
	}
	return true
}
