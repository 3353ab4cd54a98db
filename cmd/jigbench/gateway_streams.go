package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// streamHeartbeat is the fleet's heartbeat in the streams measurement: ten
// times as often as jig-manager's default (10 s).
const streamHeartbeat = time.Second

// gatewayStreams opens n dashboard streams (GET /api/v1/events, read
// continuously), then has n in-process managers (fleet_servers.go) send a
// heartbeat every streamHeartbeat for a few seconds; it reports the
// gateway process's CPU over that time (from /proc/<pid>/stat), against
// the same streams open with no heartbeats, and checks that every stream
// received every heartbeat.
func (b *bench) gatewayStreams(ctx context.Context, g *gatewayProc) error {
	n, run := b.iters(100, 10), time.Duration(b.iters(8, 2))*time.Second
	f, err := startFleet(ctx, b, n, ethernetDialer())
	if err != nil {
		return err
	}
	defer f.stop()
	ss, err := openStreams(ctx, g.base, n, f.serials)
	if err != nil {
		return err
	}
	defer ss.close()
	idle, _, err := cpuOver(g.pid(), func() error { return sleep(ctx, time.Duration(b.iters(2, 1))*time.Second) })
	if err != nil {
		return err
	}
	var sent int64
	busy, wall, err := cpuOver(g.pid(), func() error {
		if sent, err = heartbeats(ctx, f, run); err != nil {
			return err
		}
		return ss.await(ctx, sent, 5*time.Second)
	})
	if err != nil {
		return err
	}
	b.streamRows(n, sent, idle, busy, wall, ss)
	return nil
}

// streamRows adds the streams measurement's rows.
func (b *bench) streamRows(n int, sent int64, idle, busy float64, wall time.Duration, ss *streams) {
	sec, name := "gateway", fmt.Sprintf("%d streams, %d managers: ", n, n)
	least, complete := ss.tally(sent)
	b.rep.add(row{section: sec, name: name + "heartbeats sent", value: float64(sent), unit: "count", tgt: none})
	b.rep.add(row{section: sec, name: name + "least received by a stream", value: float64(least), unit: "count",
		base: float64(sent), tgt: none})
	b.rep.add(row{section: sec, name: name + "streams with every heartbeat", value: float64(complete), unit: "count",
		base: float64(n), tgt: ratioAtLeast(1)})
	b.rep.add(row{section: sec, name: name + "SSE messages delivered", value: float64(sent) * float64(n) / wall.Seconds(),
		unit: "msg/s", tgt: none})
	b.rep.add(row{section: sec, name: name + "gateway CPU, no heartbeats", value: idle * 100, unit: "% core", tgt: none})
	b.rep.add(row{section: sec, name: name + "gateway CPU", value: busy * 100, unit: "% core", tgt: none})
	b.rep.addBench(fmt.Sprintf("Gateway/Streams/%d", n), int(sent), num(float64(wall.Nanoseconds())/float64(max(sent, 1))),
		"ns/op", num(busy*100), "cpu-%", num(idle*100), "idle-cpu-%")
}

// cpuOver runs fn and returns the process's CPU time over the wall time
// it took (1 is one core busy), and that wall time.
func cpuOver(pid int, fn func() error) (float64, time.Duration, error) {
	c0, err := procCPU(pid)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	if err := fn(); err != nil {
		return 0, 0, err
	}
	wall := time.Since(t0)
	c1, err := procCPU(pid)
	if err != nil {
		return 0, 0, err
	}
	return float64(c1-c0) / float64(wall), wall, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// heartbeats has every server of the fleet publish a heartbeat event every
// streamHeartbeat for d, their first ones spread over the first interval;
// it returns how many were published.
func heartbeats(ctx context.Context, f *fleet, d time.Duration) (int64, error) {
	var sent atomic.Int64
	errs := make([]error, len(f.servers))
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for i, s := range f.servers {
		wg.Go(func() {
			start := time.Now()
			next := start.Add(streamHeartbeat * time.Duration(i) / time.Duration(len(f.servers)))
			for seq := uint64(1); !next.After(end) && sleep(ctx, time.Until(next)) == nil; seq++ {
				body, _ := json.Marshal(jigapi.Event{Serial: f.serials[i], Kind: jigapi.EvtHeartbeat, Seq: seq, At: time.Now(),
					Summary: jigapi.Summary{Version: "jigbench", Connected: true, State: "READY",
						HeartbeatS: streamHeartbeat.Seconds(), StartedAt: start}})
				if errs[i] = s.PublishEvent(ctx, jigapi.EvtHeartbeat, body, 3*streamHeartbeat); errs[i] != nil {
					return
				}
				sent.Add(1)
				next = next.Add(streamHeartbeat)
			}
		})
	}
	wg.Wait()
	return sent.Load(), errors.Join(errs...)
}

// streams is a set of open event streams, each counting the "fixture"
// messages about the fleet's serials that are not stale (one per
// heartbeat: the gateway sends one per event).
type streams struct {
	counts []atomic.Int64
	cancel context.CancelFunc
	wg     sync.WaitGroup
	hc     *http.Client
}

// openStreams opens n streams, one after the other; each is subscribed
// once its response's headers are in.
func openStreams(ctx context.Context, base string, n int, serials []string) (*streams, error) {
	ours := make(map[string]bool, len(serials))
	for _, s := range serials {
		ours[s] = true
	}
	sctx, cancel := context.WithCancel(context.Background())
	ss := &streams{counts: make([]atomic.Int64, n), cancel: cancel, hc: keepAliveClient(n)}
	for i := range n {
		req, err := http.NewRequestWithContext(sctx, http.MethodGet, base+"/api/v1/events", nil)
		if err != nil {
			ss.close()
			return nil, err
		}
		resp, err := ss.hc.Do(req)
		if err == nil && resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			err = fmt.Errorf("GET /api/v1/events: %s", resp.Status)
		}
		if err == nil && ctx.Err() != nil {
			resp.Body.Close()
		}
		if err != nil || ctx.Err() != nil {
			ss.close()
			return nil, errors.Join(err, ctx.Err())
		}
		ss.wg.Go(func() {
			defer resp.Body.Close()
			readStream(bufio.NewReaderSize(resp.Body, 64<<10), ours, &ss.counts[i])
		})
	}
	return ss, nil
}

// readStream counts the stream's fresh messages about ours until it ends.
func readStream(r *bufio.Reader, ours map[string]bool, count *atomic.Int64) {
	var f struct {
		Serial string `json:"serial"`
		Stale  bool   `json:"stale"`
	}
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
		data, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok || err != nil { // a line longer than the buffer is no fixture of ours
			continue
		}
		f.Serial, f.Stale = "", false
		if json.Unmarshal(data, &f) == nil && ours[f.Serial] && !f.Stale {
			count.Add(1)
		}
	}
}

// await waits until every stream has counted want messages, at most d;
// a stream short of them is reported by tally, not here.
func (ss *streams) await(ctx context.Context, want int64, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if least, _ := ss.tally(want); least >= want {
			return nil
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// tally is the least count of a stream, and how many streams have want.
func (ss *streams) tally(want int64) (least int64, complete int) {
	least = -1
	for i := range ss.counts {
		c := ss.counts[i].Load()
		if least < 0 || c < least {
			least = c
		}
		complete += b2i(c >= want)
	}
	return max(least, 0), complete
}

// close ends every stream and waits for its reader.
func (ss *streams) close() {
	ss.cancel()
	ss.wg.Wait()
	ss.hc.CloseIdleConnections()
}
