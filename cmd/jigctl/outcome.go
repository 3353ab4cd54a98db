package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/mqmanager"
)

// Exit codes, one per outcome. Documented in the help and the README.
const (
	exitOK          = 0
	exitFailed      = 1 // an error reply, or any other failure
	exitUsage       = 2
	exitTimeout     = 3
	exitNoFixture   = 4
	exitUnreachable = 5
	// exitInterrupted: Ctrl-C or SIGTERM ended the wait before the outcome.
	// 128 + SIGINT, as a shell reports a command Ctrl-C ended; SIGTERM
	// gives the same code (the outcome, canceled, is the same).
	exitInterrupted = 130
)

const exitCodesHelp = `Exit status:
  0  every request answered ok
  1  an error reply (the fixture answered with an error), or another failure
  2  usage: bad command, flag or argument
  3  timeout: the request was routed but no reply came by --timeout (or
     --timeout ran out while connecting, after the broker took the login)
  4  no fixture: no manager for that serial is on the bus (fails at once)
  5  broker unreachable: the broker could not be reached, or the link was lost`

// exitCodesNotes ends the root's exit table, after the lease codes
// (typed.go).
const exitCodesNotes = `130  canceled: Ctrl-C (or SIGTERM) ended the wait before the outcome
With several serials, the status is that of the first failure in argument order.
list, watch and with-lock say what their status means in their --help.`

// outcome is one request's end, as printed with -o json (a stable schema).
type outcome struct {
	Serial    string          `json:"serial"`
	Method    string          `json:"method"`
	Outcome   string          `json:"outcome"` // ok, error_reply, no_fixture, timeout, broker_unreachable, canceled, failed
	Result    json.RawMessage `json:"result,omitempty"`
	Raw       bool            `json:"raw,omitempty"` // the reply was not the envelope (an older manager)
	Error     *outcomeError   `json:"error,omitempty"`
	ElapsedMS float64         `json:"elapsed_ms"` // round trip seen by jigctl
	err       error
	value     any // the typed result of an ok, non-raw outcome
}

type outcomeError struct {
	Code    string `json:"code,omitempty"` // the manager's code, for an error reply
	Message string `json:"message"`
}

// isUsage reports a usage error (exit 2): never an outcome of a fixture.
func isUsage(err error) bool {
	var exit *cli.ExitError
	return errors.As(err, &exit) && exit.Code == exitUsage
}

// classify names an error's outcome and its exit code.
func classify(err error) (string, int) {
	var re *mqmanager.RemoteError
	switch {
	case err == nil:
		return "ok", exitOK
	case errors.As(err, &re):
		return "error_reply", remoteExit(re.Code)
	case errors.Is(err, mqmanager.ErrNoFixture):
		return "no_fixture", exitNoFixture
	case errors.Is(err, mqmanager.ErrTimeout):
		return "timeout", exitTimeout
	case errors.Is(err, mqmanager.ErrBrokerUnreachable):
		return "broker_unreachable", exitUnreachable
	case errors.Is(err, context.Canceled):
		return "canceled", exitInterrupted
	}
	return "failed", exitFailed
}

// newOutcome is the outcome of a call that returned result and err. A raw
// reply (*mqmanager.RawReplyError: an older manager) is an ok outcome,
// marked raw, with the reply's body as its result.
func newOutcome(serial, method string, result any, err error, ms float64) outcome {
	o := outcome{Serial: serial, Method: method, ElapsedMS: ms}
	var raw *mqmanager.RawReplyError
	switch {
	case errors.As(err, &raw):
		o.Raw, o.Result = true, rawResult(raw.Reply)
	case err == nil:
		o.value = result
		o.Result, err = json.Marshal(result)
	}
	o.err = err
	o.Outcome, _ = classify(err)
	var re *mqmanager.RemoteError
	if errors.As(err, &re) {
		o.Error = &outcomeError{Code: re.Code, Message: re.Message}
	} else if o.Outcome == "canceled" {
		o.Error = &outcomeError{Message: "interrupted (Ctrl-C or SIGTERM) before the outcome"}
	} else if err != nil {
		o.Error = &outcomeError{Message: err.Error()}
	}
	return o
}

// rawResult is a raw reply's body as JSON: itself if it is JSON, else as a
// string.
func rawResult(r *mqmanager.Reply) json.RawMessage {
	if r.Result != nil {
		return r.Result
	}
	b, _ := json.Marshal(string(r.Body))
	return b
}

// label names a failed outcome for people: the outcome, and an error
// reply's code.
func (o outcome) label() string {
	if o.Error != nil && o.Error.Code != "" {
		return o.Outcome + ": " + o.Error.Code
	}
	return o.Outcome
}

// detail is what a failed outcome's message says beyond the outcome's
// name, which every label or state column shows already (the transport
// errors' messages start with it: "timeout: no reply ...").
func (o outcome) detail() string {
	if o.Error == nil {
		return ""
	}
	msg := o.Error.Message
	for _, sentinel := range []error{mqmanager.ErrTimeout, mqmanager.ErrBrokerUnreachable} {
		msg = strings.TrimPrefix(msg, sentinel.Error()+": ")
	}
	return msg
}

// exitCode is the code of the first failure, in order.
func exitCode(outs []outcome) int {
	for _, o := range outs {
		if _, code := classify(o.err); code != exitOK {
			return code
		}
	}
	return exitOK
}
