package manager

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/mqmanager"
)

// Hooks are told about the daemon's life, e.g. for systemd's notify socket.
type Hooks struct {
	OnReady func()          // the consumer is live (after every connect)
	OnDown  func(err error) // the broker link was lost
}

// Run serves cfg's fixture until ctx ends; cfg must be valid. It returns an
// error when the fixture is already served by another manager or the broker
// refuses us, and nil after a graceful stop.
func Run(ctx context.Context, cfg Config, version string, log *slog.Logger, hooks Hooks) error {
	dev, err := jig.Open(cfg.Fixture, log.With("component", "fixture"))
	if err != nil {
		return fmt.Errorf("fixture: %w", err)
	}
	defer dev.Close()
	tlsCfg, err := cfg.Broker.TLS.tlsConfig()
	if err != nil {
		return err
	}
	h := newHandlers(cfg.Serial, version, cfg.Fib.MaxN, dev)
	host, _ := os.Hostname()
	srv, err := mqmanager.NewServer(mqmanager.ServerConfig{
		Broker: mqmanager.Broker{URLs: cfg.Broker.urls(), Heartbeat: cfg.Broker.Heartbeat, TLS: tlsCfg,
			External: cfg.Broker.TLS.External, User: cfg.Broker.User, Name: "jig-manager " + cfg.Serial + "@" + host},
		Serial: cfg.Serial, Prefetch: cfg.Broker.Prefetch, Concurrency: cfg.Server.Concurrency,
		MaxBody: cfg.Server.MaxBody, HandlerTimeout: cfg.Server.HandlerTimeout,
		ShutdownGrace: cfg.Server.ShutdownGrace, ReconnectMax: cfg.Broker.ReconnectMax,
		TutorialQueue: cfg.Compat.TutorialQueue, Tutorial: h.tutorial, ControllerUsers: cfg.Security.ControllerUsers,
		Logger: log.With("component", "server"), OnReady: hooks.OnReady, OnDown: hooks.OnDown,
	})
	if err != nil {
		return err
	}
	h.register(srv)
	if len(cfg.Security.ControllerUsers) == 0 {
		log.Warn("security.controller_users is empty: requests from any broker user are served " +
			"(for development only)")
	}
	return srv.Run(ctx)
}

// NewLogger builds the stderr logger the configuration asks for.
func NewLogger(l Log, w io.Writer) *slog.Logger {
	lv, _ := l.level()
	opts := &slog.HandlerOptions{Level: lv}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
