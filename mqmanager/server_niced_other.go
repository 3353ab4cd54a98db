//go:build !linux

package mqmanager

import "errors"

// lowerThreadPriority: elsewhere a thread's priority is not set, for want of
// a per-thread nice value in the standard library.
func lowerThreadPriority(int) error { return errors.ErrUnsupported }
