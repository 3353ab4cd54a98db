package jigapi

import "fmt"

// The stable, machine-readable codes of an error reply: the "code" of the
// envelope's "error" object.
const (
	CodeBadRequest        = "bad_request"        // malformed JSON, wrong types, unknown or duplicate keys, out-of-range arguments
	CodeUnknownMethod     = "unknown_method"     // no such method
	CodeTooLarge          = "too_large"          // the request body is over the manager's size limit
	CodeBusy              = "busy"               // a compute-bound method's queue is full: ask again later
	CodeSerialUnavailable = "serial_unavailable" // the fixture's port is missing or unplugged
	CodeSerialTimeout     = "serial_timeout"     // the board did not answer in time
	CodeFixtureError      = "fixture_error"      // the board answered with an error, or with an answer that does not fit its command
	CodeForbidden         = "forbidden"          // not allowed here: a command outside fixture.commands.allow, an admin method from a non-admin
	CodeLocked            = "locked"             // another owner holds the fixture's lease (the message names it and its expiry), or the token is stale
	CodeNotLocked         = "not_locked"         // the request needs the fixture's lease and none is held (or none was given)
	CodeInternal          = "internal"           // anything else; the message says what
)

// Codes lists every code, in the order above.
var Codes = []string{CodeBadRequest, CodeUnknownMethod, CodeTooLarge, CodeBusy,
	CodeSerialUnavailable, CodeSerialTimeout, CodeFixtureError, CodeForbidden, CodeLocked, CodeNotLocked,
	CodeInternal}

// Error is an error reply's content. A handler returns one to answer with
// a code; any other error it returns is answered as CodeInternal.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
