package jigapi

import (
	"context"
	"errors"

	"github.com/jigmq/jigmq/jig"
)

// BoardError maps a failure of the fixture's board (package jig) to the
// contract's codes: the port missing or unplugged is serial_unavailable,
// no answer in time (or the request's deadline passing first)
// serial_timeout, an answer that is an error or does not fit its command
// fixture_error. Any other error is returned as it is (internal).
func BoardError(err error) error {
	var fe *jig.FixtureError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jig.ErrUnavailable):
		return Errorf(CodeSerialUnavailable, "%v", err)
	case errors.Is(err, jig.ErrTimeout):
		return Errorf(CodeSerialTimeout, "%v", err)
	case errors.As(err, &fe):
		return Errorf(CodeFixtureError, "%v", err)
	case errors.Is(err, context.DeadlineExceeded):
		return Errorf(CodeSerialTimeout, "the board was not read by the request's deadline")
	}
	return err
}

// StatusOf is the JigStatus result of a status read.
func StatusOf(st jig.Status) Status {
	return Status{Port: st.Port, Connected: st.Connected, Identity: st.Identity, State: st.State,
		Fields: st.Fields, ReadMS: st.ReadMS, ReadAt: st.ReadAt}
}
