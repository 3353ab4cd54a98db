package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// fleet is n mqmanager servers in this process, each on its own
// connection as a fixture PC's manager would be, with no board.
type fleet struct {
	serials []string
	servers []*mqmanager.Server // as serials
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// startFleet starts n servers, 16 connecting at a time, each connecting
// with d (nil: a plain dial), and waits until each consumes.
func startFleet(ctx context.Context, b *bench, n int, d *net.Dialer) (*fleet, error) {
	rctx, cancel := context.WithCancel(context.Background())
	f := &fleet{cancel: cancel}
	ended := make(chan error, n) // a Run that returns before stop failed
	for first := 0; first < n; first += 16 {
		batch := min(16, n-first)
		ready := make(chan struct{}, batch)
		for range batch {
			serial := b.serial("F")
			s, err := fleetServer(mqmanager.Broker{URLs: []string{b.url}, Dialer: d}, serial, ready)
			if err != nil {
				f.stop()
				return nil, err
			}
			f.serials, f.servers = append(f.serials, serial), append(f.servers, s)
			f.wg.Add(1)
			go func() { defer f.wg.Done(); ended <- s.Run(rctx) }()
		}
		if err := awaitReady(ctx, batch, ready, ended); err != nil {
			f.stop()
			return nil, err
		}
	}
	return f, nil
}

// awaitReady waits for n servers' ready signals.
func awaitReady(ctx context.Context, n int, ready <-chan struct{}, ended <-chan error) error {
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	for range n {
		select {
		case <-ready:
		case err := <-ended:
			return fmt.Errorf("manager ended: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return errors.New("managers not serving after 30s")
		}
	}
	return nil
}

// fleetServer is a server for serial answering Ping and JigStatus from
// memory; ready is signalled (without blocking) when it consumes.
func fleetServer(broker mqmanager.Broker, serial string, ready chan struct{}) (*mqmanager.Server, error) {
	s, err := mqmanager.NewServer(mqmanager.ServerConfig{Broker: broker, Serial: serial,
		OnReady: func() {
			select {
			case ready <- struct{}{}:
			default:
			}
		}})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	mqmanager.Handle(s, jigapi.Ping, func(context.Context, jigapi.NoArgs) (jigapi.PingResult, error) {
		return jigapi.PingResult{Serial: serial, Version: "jigbench", UptimeS: time.Since(start).Seconds()}, nil
	})
	mqmanager.Handle(s, jigapi.JigStatus, func(context.Context, jigapi.NoArgs) (jigapi.Status, error) {
		return jigapi.Status{State: "READY", ReadAt: time.Now()}, nil
	})
	return s, nil
}

// stop ends every server and waits for them.
func (f *fleet) stop() {
	f.cancel()
	f.wg.Wait()
}
