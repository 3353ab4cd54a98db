package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jigmq/jigmq/mqmanager"
)

// gatewaySection measures jig-gateway, run as a built process: a status
// read through its HTTP API (GET /api/v1/fixtures/{serial}/status, from a
// keep-alive client) against the typed Client's direct-mode Status on the
// same in-process manager, sequentially and with 64 callers in flight, in
// alternating rounds; then its CPU while dashboard streams are open and a
// fleet of managers sends heartbeats (gateway_streams.go), and its memory.
func gatewaySection(ctx context.Context, b *bench) error {
	m, err := b.manager(ctx)
	if err != nil {
		return err
	}
	g, err := b.startGateway(ctx, m.serial)
	if err != nil {
		return err
	}
	defer g.stop()
	idle, err := procStatus(g.pid(), "VmRSS")
	if err != nil {
		return err
	}
	bare, err := b.startFront(ctx, "barefront", m.serial)
	if err != nil {
		return err
	}
	err = b.gatewayVersusClient(ctx, g, bare, m.serial)
	bare.stop()
	if err != nil {
		return err
	}
	if err := b.gatewayStreams(ctx, g); err != nil {
		return err
	}
	hwm, err := procStatus(g.pid(), "VmHWM")
	if err != nil {
		return err
	}
	mib := func(kb int) float64 { return float64(kb) / 1024 }
	b.rep.add(row{section: "gateway", name: "gateway idle VmRSS", value: mib(idle), unit: "MiB", tgt: below(12, "MiB")})
	b.rep.add(row{section: "gateway", name: "gateway VmHWM at end", value: mib(hwm), unit: "MiB", tgt: none})
	b.rep.addBench("GatewayRSS/idle", 1, fmt.Sprint(idle*1024), "rss-B")
	return nil
}

// gatewayVersusClient compares the HTTP status read with the Client's, and
// adds the rows: sequential p50 within 1.3x, 64 in flight at least 80% of
// the Client's throughput. The same read through barefront, in the same
// rounds, is for information: the floor of an HTTP front of the Client on
// this machine, which tells the cost of HTTP itself from the gateway's.
func (b *bench) gatewayVersusClient(ctx context.Context, g, bare *gatewayProc, serial string) error {
	c, err := b.dial(ctx, mqmanager.ReplyDirect)
	if err != nil {
		return err
	}
	defer c.Close()
	hc := keepAliveClient(64)
	defer hc.CloseIdleConnections()
	vs := []variant{
		{"client direct", withTimeout(requestTimeout, func(ctx context.Context) error {
			_, err := c.Status(ctx, serial)
			return err
		})},
		{"gateway http", withTimeout(requestTimeout, func(ctx context.Context) error {
			return httpStatus(ctx, hc, g.base+"/api/v1/fixtures/"+serial+"/status")
		})},
		{"bare http front", withTimeout(requestTimeout, func(ctx context.Context) error {
			return httpStatus(ctx, hc, bare.base+"/api/v1/fixtures/"+serial+"/status")
		})},
	}
	seq, err := alternate(ctx, b.iters(300, 20), 1, b.iters(4, 1), vs, nil)
	if err != nil {
		return fmt.Errorf("seq: %w", err)
	}
	par, err := alternate(ctx, b.iters(2000, 128), 64, b.iters(3, 1), vs, nil)
	if err != nil {
		return fmt.Errorf("64inflight: %w", err)
	}
	b.gatewayRows(seq, par)
	return nil
}

// gatewayRows adds the rows of the Client (index 0) against HTTP (1) and
// the bare HTTP front (2), sequential and 64 in flight.
func (b *bench) gatewayRows(seq, par []result) {
	sec := "gateway"
	for i, name := range []string{"Client", "HTTP", "BareHTTP"} {
		b.rep.addLoad("Gateway/Status/"+name+"/seq", seq[i])
		b.rep.addLoad("Gateway/Status/"+name+"/64inflight", par[i])
	}
	cs, hs, cp, hp := seq[0], seq[1], par[0], par[1]
	b.rep.add(row{section: sec, name: "client direct status seq p50", value: ms(cs.p50()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "http status seq p50", value: ms(hs.p50()), unit: "ms", base: ms(cs.p50()),
		tgt: ratioAtMost(1.3)})
	b.rep.add(row{section: sec, name: "http status seq p99", value: ms(hs.p99()), unit: "ms", base: ms(cs.p99()), tgt: none})
	b.rep.add(row{section: sec, name: "client direct status 64inflight thrpt", value: cp.rps(), unit: "req/s", tgt: none})
	b.rep.add(row{section: sec, name: "http status 64inflight thrpt", value: hp.rps(), unit: "req/s", base: cp.rps(),
		tgt: ratioAtLeast(0.80)})
	b.rep.add(row{section: sec, name: "http status 64inflight p50", value: ms(hp.p50()), unit: "ms", base: ms(cp.p50()),
		tgt: none})
	bs, bp := seq[2], par[2]
	b.rep.add(row{section: sec, name: "bare http front seq p50 (floor)", value: ms(bs.p50()), unit: "ms", base: ms(cs.p50()),
		tgt: none})
	b.rep.add(row{section: sec, name: "bare http front 64inflight thrpt (floor)", value: bp.rps(), unit: "req/s",
		base: cp.rps(), tgt: none})
}

// keepAliveClient is an HTTP client keeping up to idle connections to the
// gateway open between requests (the default keeps 2 per host).
func keepAliveClient(idle int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = idle, idle
	return &http.Client{Transport: tr}
}

// httpStatus is one status read through the gateway: 200 and "ok": true,
// the body read to its end so that the connection is reused.
func httpStatus(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var ans struct {
		OK      bool   `json:"ok"`
		Outcome string `json:"outcome"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || resp.StatusCode != http.StatusOK || !ans.OK {
		return fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, body)
	}
	return nil
}

// awaitGateway reads a status through the gateway until it answers 200
// (until it has reached the broker it answers broker_unreachable), at
// most 15 s.
func awaitGateway(ctx context.Context, base, serial string) error {
	hc := keepAliveClient(1)
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := withTimeout(time.Second, func(ctx context.Context) error {
			return httpStatus(ctx, hc, base+"/api/v1/fixtures/"+serial+"/status")
		})(ctx)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
