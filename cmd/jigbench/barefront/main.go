// Command barefront is jigbench's floor for jig-gateway's HTTP path: the
// least an HTTP front of the typed Client can do. net/http serves
// GET /api/v1/fixtures/{serial}/status with one long-lived Client in
// direct mode, and writes the manager's result as it came, with no fleet
// table, metrics, routing or re-encoding. It is not a product: it has no
// outcome mapping beyond ok or 502, and answers no other path. jigbench
// runs it beside jig-gateway, in the same alternating rounds, so that
// the part of the HTTP path's cost that is HTTP itself (client and server
// on the same machine, a second hop) is told from the gateway's own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "barefront:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "HTTP `ADDR`")
	url := flag.String("url", mqmanager.DefaultURL, "broker `URL`")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: mqmanager.Broker{URLs: []string{*url}},
		ReplyMode: mqmanager.ReplyDirect, AppID: "jigbench-barefront"})
	if err != nil {
		return err
	}
	defer c.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/fixtures/{serial}/status", func(w http.ResponseWriter, r *http.Request) {
		status(c, w, r)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("barefront: serving at http://%s/\n", ln.Addr())
	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	srv.Close()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// status is one JigStatus request, its result written as it came.
func status(c *mqmanager.Client, w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	rep, err := c.Request(ctx, r.PathValue("serial"), jigapi.JigStatus.Name(), jigapi.NoArgs{})
	w.Header().Set("Content-Type", "application/json")
	if err != nil || rep.Raw {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "{\"ok\":false,\"error\":%q}\n", fmt.Sprint(err))
		return
	}
	w.Write(append(append([]byte(`{"ok":true,"result":`), rep.Result...), "}\n"...))
}
