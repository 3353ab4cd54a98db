package jigapi

import "reflect"

// Method is one method of the contract: the last segment of the routing key
// "<serial>.Req.<Name>", with argument type A and result type R. The
// methods are the package's variables (JigStatus, Ping, Fib, Stats, ...);
// a Method is never built elsewhere.
type Method[A, R any] struct{ info *Info }

// Info describes a method without its types as type parameters, for code
// that enumerates the contract.
type Info struct {
	Name string
	// Summary is one line on what the method does.
	Summary string
	// Broadcast: the method is served on the "_all" broadcast key as well as
	// on the fixture's own. Methods that talk to the board on a caller's
	// behalf, or compute, are not: one broadcast must not make every
	// fixture on the floor do the work.
	Broadcast bool
	// Compute: the method is compute-bound. A manager runs it in a pool of
	// its own, bounded below the machine's cores, so that it never delays
	// a status read.
	Compute bool
	// Args and Result are the argument and result types (struct types).
	Args, Result reflect.Type
}

// Option sets a property of a method at its definition.
type Option func(*Info)

// OnBroadcast marks a method served on the "_all" broadcast key.
func OnBroadcast(i *Info) { i.Broadcast = true }

// ComputeBound marks a compute-bound method.
func ComputeBound(i *Info) { i.Compute = true }

var registry []*Info

// define makes the method name with the given summary and options, and
// lists it in Methods.
func define[A, R any](name, summary string, opts ...Option) Method[A, R] {
	i := &Info{Name: name, Summary: summary,
		Args: reflect.TypeFor[A](), Result: reflect.TypeFor[R]()}
	for _, o := range opts {
		o(i)
	}
	registry = append(registry, i)
	return Method[A, R]{info: i}
}

// Name is the method's name on the wire.
func (m Method[A, R]) Name() string { return m.info.Name }

// Info describes the method.
func (m Method[A, R]) Info() Info { return *m.info }

// Methods lists every method of the contract, in definition order.
func Methods() []Info {
	out := make([]Info, len(registry))
	for i, m := range registry {
		out[i] = *m
	}
	return out
}

// Lookup finds a method by its wire name.
func Lookup(name string) (Info, bool) {
	for _, m := range registry {
		if m.Name == name {
			return *m, true
		}
	}
	return Info{}, false
}
