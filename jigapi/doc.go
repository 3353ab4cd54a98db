// Package jigapi is the jigmq contract: every method a fixture's manager
// serves, with its name on the wire, its argument and result types, the
// error codes of an error reply, and how a failure of the fixture's board
// maps to those codes. It is the one home of these facts: the manager
// (internal/manager) serves the methods listed here through
// mqmanager.Handle, clients call them through mqmanager.Call (or the
// Client's Status, Ping, Fib and Stats), and docs/protocol.md is checked
// against this package by its tests.
//
// The package holds data and rules only; it does no I/O and imports no
// transport. Events (Event, Summary and the Evt* kinds, events.go) are part of the
// contract too. Adding a method is: its Method value and types here, one
// handler function in the manager, one jigctl command.
//
// # Methods
//
// A Method[A, R] names a method and fixes its argument type A and result
// type R. Arguments are decoded strictly on the manager's side: keys match
// exactly (case included), unknown and duplicate keys are a bad_request.
// Methods lists them all, for tests, docs and tools that enumerate the
// contract.
package jigapi
