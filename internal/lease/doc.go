// Package lease is a fixture's lease table: at most one lease, held by one
// owner until it is released or its time is up. Expiry needs no timer and
// no process: a lease past its expiry is simply not held, whoever asks
// next. The table keeps its lease in a state file, written atomically and
// fsynced on every change, so a manager restart never hands a held fixture
// to a second station; a state file that cannot be read, or whose lease
// exceeds MaxTTL, is set aside and logged, never a crash. The file names
// its serial: another serial's file is never restored nor written (Open
// says so).
//
// Errors are the contract's (*jigapi.Error): locked, not_locked,
// bad_request; internal when the state file cannot be written.
package lease
