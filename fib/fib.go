// Package fib computes Fibonacci numbers on arbitrary-precision integers.
//
// It backs the manager's Fib method: a request carries n, the manager checks
// n against its configured bound with [Check] (an out-of-range n becomes a
// bad_request reply) and answers with [Decimal], the value as a decimal
// string, since F(n) quickly outgrows any fixed-size integer (F(94) already
// overflows uint64).
//
// [Fib] uses the fast-doubling identities
//
//	F(2k)   = F(k) * (2*F(k+1) - F(k))
//	F(2k+1) = F(k)^2 + F(k+1)^2
//
// so F(n) costs O(log n) big-integer multiplications instead of O(n)
// additions, and it honours context cancellation between doubling steps, so a
// request whose caller has given up stops consuming CPU.
package fib

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
)

// DefaultMax is the default upper bound on n for requests coming off the bus.
// F(1_000_000) has 208,988 decimal digits and takes tens of milliseconds to
// compute and format on a fixture PC; larger bounds are a configuration
// decision, not a default.
const DefaultMax = 1_000_000

// ErrOutOfRange is matched (with [errors.Is]) by every error this package
// returns for an n that is negative or above the bound, so a caller can map
// it to a bad_request reply without inspecting the message.
var ErrOutOfRange = errors.New("fib: n out of range")

// RangeError reports an n outside [0, Max]. Its message is the one the
// manager puts verbatim into a bad_request reply, "n must be between 0 and
// <Max>", so it deliberately carries no package prefix.
type RangeError struct {
	N   int // the rejected argument
	Max int // the inclusive upper bound it was checked against
}

// Error returns "n must be between 0 and <Max>".
func (e *RangeError) Error() string {
	return fmt.Sprintf("n must be between 0 and %d", e.Max)
}

// Is reports whether target is [ErrOutOfRange], so errors.Is(err,
// ErrOutOfRange) holds for every *RangeError.
func (e *RangeError) Is(target error) bool { return target == ErrOutOfRange }

// Check returns nil if 0 <= n <= max and a *[RangeError] otherwise. A
// negative max rejects every n.
func Check(n, max int) error {
	if n < 0 || n > max {
		return &RangeError{N: n, Max: max}
	}
	return nil
}

// Fib returns F(n), with F(0) = 0 and F(1) = 1, computed by fast doubling.
//
// It returns an error wrapping [ErrOutOfRange] for a negative n. It does not
// apply any upper bound itself: callers serving untrusted input bound n with
// [Check] first. ctx is checked before each doubling step (there are
// bits.Len(n) of them, each more expensive than all previous ones together);
// if it is done, Fib returns nil and ctx.Err().
func Fib(ctx context.Context, n int) (*big.Int, error) {
	if n < 0 {
		return nil, fmt.Errorf("fib: n must be non-negative, got %d: %w", n, ErrOutOfRange)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return new(big.Int), nil
	}

	// Invariant: a = F(k), b = F(k+1), where k is the prefix of n's bits
	// processed so far. Starting from k = 0 (a = 0, b = 1).
	//
	// The four big.Ints are rotated rather than reallocated: after a step the
	// old a and b become the next step's scratch space, so each buffer grows
	// to its final size a handful of times over the whole computation and
	// math/big's own allocations are limited to the multiplication
	// internals. Squarings are written as x.Mul(y, y), which math/big
	// detects and runs with its dedicated (faster) squaring routine.
	a, b := new(big.Int), big.NewInt(1)
	c, d := new(big.Int), new(big.Int)
	t := new(big.Int) // scratch for b^2

	for i := bits.Len(uint(n)) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		odd := n>>uint(i)&1 == 1
		if i == 0 {
			// Last step: only F(n) is needed, never F(n+1), which saves
			// one of the three multiplications at the largest size.
			if odd {
				// F(2k+1) = F(k)^2 + F(k+1)^2
				d.Mul(a, a)
				t.Mul(b, b)
				return d.Add(d, t), nil
			}
			// F(2k) = F(k) * (2F(k+1) - F(k))
			c.Lsh(b, 1)
			c.Sub(c, a)
			return d.Mul(a, c), nil
		}
		// c = F(2k) = F(k) * (2F(k+1) - F(k)); d is scratch for 2F(k+1)-F(k).
		d.Lsh(b, 1)
		d.Sub(d, a)
		c.Mul(a, d)
		// d = F(2k+1) = F(k)^2 + F(k+1)^2
		d.Mul(a, a)
		t.Mul(b, b)
		d.Add(d, t)
		if odd {
			// k -> 2k+1: a = F(2k+1), b = F(2k+2) = F(2k) + F(2k+1).
			c.Add(c, d)
			a, b, c, d = d, c, a, b
		} else {
			// k -> 2k: a = F(2k), b = F(2k+1).
			a, b, c, d = c, d, a, b
		}
	}
	// Unreachable: the loop returns at i == 0 because n > 0.
	return a, nil
}

// Decimal returns F(n) in base 10, the form the manager puts in a Fib reply.
// Errors are those of [Fib]; ctx is checked again after the computation,
// because the conversion of a large F(n) to decimal costs about as much as
// computing it.
func Decimal(ctx context.Context, n int) (string, error) {
	v, err := Fib(ctx, n)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return v.String(), nil
}
