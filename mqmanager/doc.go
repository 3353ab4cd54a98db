// Package mqmanager is jigmq's AMQP layer: the request server a fixture's
// jig-manager runs, the request client jigctl and controller programs use,
// and the broker connection handling under both.
//
// # The protocol
//
// A request is published to the topic exchange amq.topic with the routing
// key "<serial>.Req.<Method>", e.g. "JIG-0001.Req.JigStatus". Its body is a
// JSON object ({} when the method takes no arguments, {"n": 90} for Fib).
// Its properties are content_type application/json, a UUID correlation_id,
// reply_to (the queue the reply goes to), expiration (the caller's remaining
// time in milliseconds, so the broker drops a request its caller has given
// up on), timestamp and app_id. The header x-deadline-ms repeats the
// caller's deadline in Unix milliseconds, because timestamp has one-second
// resolution. Requests are published mandatory: when no manager's queue is
// bound for the serial the broker returns the message and the caller fails
// at once with ErrNoFixture instead of waiting out its deadline.
//
// A manager owns the queue "jig.<serial>", exclusive and auto-delete, bound
// with "<serial>.Req.*" and "_all.Req.*". Exclusive and named means one
// owner: a second manager for the same serial is refused by the broker
// (RESOURCE_LOCKED) and Server.Run returns ErrAlreadyServed. A manager that
// has served and reconnects retries instead while the queue is held: the
// holder is most often its own previous connection, which the broker has
// not yet found dead. When a manager goes, its queue and bindings go with
// it, so its requests become unroutable rather than piling up.
//
// The manager acks a request on receipt, before running it, so a request
// whose caller timed out is never redelivered and run twice. It answers to
// reply_to through the default exchange with the same correlation_id and
// this envelope:
//
//	{"ok": true,  "serial": "JIG-0001", "method": "Fib", "result": {...}, "elapsed_ms": 1.7}
//	{"ok": false, "serial": "JIG-0001", "method": "Fib",
//	 "error": {"code": "bad_request", "message": "n must be between 0 and 1000000"}}
//
// The codes are the Code* constants. A request without reply_to or
// correlation_id is logged and dropped; one whose deadline has passed is
// dropped unrun, and no reply is sent after a deadline; every other bad
// request gets an error reply, and the server goes on serving. Methods
// registered with Compute run on their own bounded lane, never delaying
// the others, each on an OS thread of its own at nice ComputeNice, so that
// the kernel too runs the others first; with NotOnBroadcast they are
// refused on "_all".
//
// # The client
//
// Client.Request returns exactly one outcome: a *Reply, a *RemoteError (an
// error reply), ErrNoFixture, ErrTimeout, ErrBrokerUnreachable, or the
// context's cancellation. The context is the only deadline. Replies are
// matched by correlation id; late, duplicate and foreign replies are
// discarded and counted. A reply that is not the envelope (an older manager)
// is returned as a Reply with Raw set. Three reply modes (ReplyMode) give
// the same outcomes at different costs.
//
// # Who sent it
//
// Every request and reply carries user_id, the sender's broker user (the
// connection's: the URL's user, or Broker.User for a certificate login);
// the broker refuses any other. Any user with write on the default exchange
// can publish into any queue it can name, so with ServerConfig.ControllerUsers
// a manager serves only those users' requests (others are dropped unanswered
// and counted in jigapi.ServerStats.Rejected), and with ClientConfig.CheckReplyUser a
// client accepts a reply only from the broker user of the fixture it is from
// (others are discarded and counted by Rejected). Unset, both accept anyone:
// for development only. See deploy/rabbitmq/README.md for the threat model.
//
// # Connections
//
// Server.Run supervises its own connection: on any loss it rebuilds the
// connection, channels, queue and consumer from scratch with capped,
// jittered backoff over the configured URLs. amqp091-go's experimental
// automatic recovery is not used. A Client reconnects on the next request
// and fails the requests pending on a lost connection at once.
//
// On a cluster, Broker.URLs lists the nodes: a Server starts on a random
// one and moves to the next on loss, a Client dials the first and, after a
// loss, the one after the node it lost; Server.Node and Client.Node say
// which. What a node's loss does to each kind of queue, and the outcome the
// caller sees for it: docs/cluster.md.
//
// No caller waits past its context: amqp091-go's publish ignores its
// context and blocks while the peer reads nothing (a frozen route), so
// publishes run on goroutines the Client owns and the caller waits for them
// only until its context ends or the link dies; one caller dials at a time
// and the others wait for it only within their contexts. The owner of a
// connection closes its socket when the connection ends, so that a writer
// blocked on it, and amqp091-go's shutdown waiting for that writer, return.
//
// # Layout
//
// The package's files each serve one role, named for it. The server, what
// a fixture's manager runs: server*.go (its config and limits in
// server_config.go, its supervisor in server.go; a connection's life in server_session.go; a request from
// delivery to reply in server_request.go, server_decode.go,
// server_dispatch.go, server_routes.go and server_lanes.go, its acks,
// batched, in server_acks.go, the compute
// lane's low-priority threads in server_niced.go, a reply's encoding in
// server_encode.go; typed registration in server_typed.go). The client, what jigctl and controller
// programs use: client*.go (connections in client.go, one request in
// client_call.go, the reply modes in client_replypath.go and
// client_perrequest.go with its queues declared ahead in client_spare.go,
// typed calls in
// client_typed.go). Shared by both: the broker's addresses and dialing with
// its diagnostics (dial.go, dialerr.go, tlsdial.go, handshake.go,
// nodes.go), a configuration file's broker section (brokerconfig.go) and
// the TLS settings with their rules (tlsfiles.go), users (users.go), topology names (topology.go),
// the reply envelope (envelope.go) and the outcomes (errors.go). The
// contract itself, methods and codes, is package jigapi.
//
// The events ("<serial>.Evt.<Kind>", jigapi.Event): Server.PublishEvent
// sends a manager's (server_events.go), FollowEvents follows everyone's
// (client_events.go). A server's counters are server_stats.go, and
// ServerConfig.Observe, told each request run, server_observe.go.
//
// Around this package: internal/manager is jig-manager (config, one handler
// per method, its events and its /metrics); internal/lease the fixture's
// lease table behind Lock, Renew and Unlock; internal/gateway the floor's
// HTTP view over a Client and FollowEvents (API, dashboard, /metrics), run
// by cmd/jig-gateway; internal/inventory the list of serials a floor
// expects (the gateway's fleet.inventory).
package mqmanager
