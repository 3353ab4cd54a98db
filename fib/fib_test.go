package fib

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"
)

// iterative is the obviously-correct O(n) reference: F(n) by repeated
// addition.
func iterative(n int) *big.Int {
	a, b := new(big.Int), big.NewInt(1)
	for i := 0; i < n; i++ {
		a.Add(a, b)
		a, b = b, a
	}
	return a
}

func TestFibKnownValues(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0"},
		{1, "1"},
		{2, "1"},
		{3, "2"},
		{10, "55"},
		{30, "832040"},
		{90, "2880067194370816120"},
		{93, "12200160415121876738"}, // largest F(n) that fits in a uint64
		{94, "19740274219868223167"}, // first that does not
		{100, "354224848179261915075"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			got, err := Fib(context.Background(), tt.n)
			if err != nil {
				t.Fatalf("Fib(%d): %v", tt.n, err)
			}
			if got.String() != tt.want {
				t.Errorf("Fib(%d) = %s, want %s", tt.n, got, tt.want)
			}
			s, err := Decimal(context.Background(), tt.n)
			if err != nil || s != tt.want {
				t.Errorf("Decimal(%d) = %q, %v; want %q, nil", tt.n, s, err, tt.want)
			}
		})
	}
}

func TestFibMatchesIterative(t *testing.T) {
	// 1000 is the value the brief names; the others exercise both parities
	// of the last step and numbers whose bit patterns are all-ones / a lone
	// high bit.
	for _, n := range []int{1000, 1001, 1023, 1024, 4095, 4096, 10007} {
		got, err := Fib(context.Background(), n)
		if err != nil {
			t.Fatalf("Fib(%d): %v", n, err)
		}
		if want := iterative(n); got.Cmp(want) != 0 {
			t.Errorf("Fib(%d) differs from the iterative reference", n)
		}
	}
	// F(1000) has 209 digits and starts 43466557686937456...
	s, _ := Decimal(context.Background(), 1000)
	if len(s) != 209 || s[:17] != "43466557686937456" {
		t.Errorf("Decimal(1000) = %s...(%d digits)", s[:min(20, len(s))], len(s))
	}
}

func TestFibRecurrence(t *testing.T) {
	ctx := context.Background()
	prev2, _ := Fib(ctx, 0)
	prev1, _ := Fib(ctx, 1)
	sum := new(big.Int)
	for n := 2; n <= 2000; n++ {
		cur, err := Fib(ctx, n)
		if err != nil {
			t.Fatalf("Fib(%d): %v", n, err)
		}
		if sum.Add(prev1, prev2).Cmp(cur) != 0 {
			t.Fatalf("F(%d) != F(%d) + F(%d)", n, n-1, n-2)
		}
		prev2, prev1 = prev1, cur
	}
}

func TestFibResultsAreIndependent(t *testing.T) {
	// The implementation reuses its scratch big.Ints; the returned value
	// must still be the caller's own.
	a, _ := Fib(context.Background(), 50)
	b, _ := Fib(context.Background(), 50)
	a.SetInt64(7)
	if b.String() != "12586269025" {
		t.Errorf("mutating one result changed another: %s", b)
	}
}

func TestFibNegative(t *testing.T) {
	for _, n := range []int{-1, -1 << 40} {
		v, err := Fib(context.Background(), n)
		if err == nil || v != nil {
			t.Fatalf("Fib(%d) = %v, %v; want nil, error", n, v, err)
		}
		if !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Fib(%d) error %v does not match ErrOutOfRange", n, err)
		}
		if _, err := Decimal(context.Background(), n); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Decimal(%d) error %v does not match ErrOutOfRange", n, err)
		}
	}
}

func TestFibCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, n := range []int{0, 1, 50_000_000} {
		v, err := Fib(ctx, n)
		if !errors.Is(err, context.Canceled) || v != nil {
			t.Errorf("Fib(cancelled, %d) = %v, %v; want nil, context.Canceled", n, v, err)
		}
		if s, err := Decimal(ctx, n); !errors.Is(err, context.Canceled) || s != "" {
			t.Errorf("Decimal(cancelled, %d) = %q, %v; want \"\", context.Canceled", n, s, err)
		}
	}
}

func TestFibCancelledMidway(t *testing.T) {
	// F(2^28) has about 56 million digits: far too slow to finish within the
	// deadline, so Fib must notice the deadline between doubling steps and
	// stop promptly rather than run to the end.
	if testing.Short() {
		t.Skip("allocates a few hundred MB before the deadline fires")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	v, err := Fib(ctx, 1<<28)
	if !errors.Is(err, context.DeadlineExceeded) || v != nil {
		t.Fatalf("Fib(1<<28) with 20ms deadline = %v, %v; want nil, DeadlineExceeded", v != nil, err)
	}
	// One doubling step past the deadline at most; be generous for -race
	// and loaded CI machines.
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("Fib took %v to honour a 20ms deadline", elapsed)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		n, max int
		ok     bool
	}{
		{0, 100000, true},
		{100000, 100000, true},
		{100001, 100000, false},
		{-1, 100000, false},
		{0, 0, true},
		{1, 0, false},
		{0, -1, false},
		{DefaultMax, DefaultMax, true},
	}
	for _, tt := range tests {
		err := Check(tt.n, tt.max)
		if (err == nil) != tt.ok {
			t.Errorf("Check(%d, %d) = %v, want ok=%v", tt.n, tt.max, err, tt.ok)
			continue
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Check(%d, %d) = %v does not match ErrOutOfRange", tt.n, tt.max, err)
		}
		var re *RangeError
		if !errors.As(err, &re) || re.N != tt.n || re.Max != tt.max {
			t.Errorf("Check(%d, %d) = %#v, want *RangeError{%d, %d}", tt.n, tt.max, err, tt.n, tt.max)
		}
	}
	// The exact wording is part of the wire contract (design.md's example
	// bad_request reply).
	if got, want := Check(100001, 100000).Error(), "n must be between 0 and 100000"; got != want {
		t.Errorf("Check message = %q, want %q", got, want)
	}
}

func ExampleFib() {
	v, err := Fib(context.Background(), 90)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(v)

	if err := Check(2_000_000, DefaultMax); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 2880067194370816120
	// n must be between 0 and 1000000
}

func ExampleDecimal() {
	s, _ := Decimal(context.Background(), 30)
	fmt.Println(s)
	// Output: 832040
}

var benchSizes = []struct {
	name string
	n    int
}{
	{"n=1e4", 10_000},
	{"n=1e5", 100_000},
	{"n=1e6", 1_000_000},
}

// sink keeps the compiler from discarding benchmark results.
var (
	sinkInt *big.Int
	sinkStr string
)

func BenchmarkFib(b *testing.B) {
	ctx := context.Background()
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := Fib(ctx, bs.n)
				if err != nil {
					b.Fatal(err)
				}
				sinkInt = v
			}
		})
	}
}

// BenchmarkDecimal measures what a Fib request costs the manager: the
// computation plus the conversion to a decimal string.
func BenchmarkDecimal(b *testing.B) {
	ctx := context.Background()
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := Decimal(ctx, bs.n)
				if err != nil {
					b.Fatal(err)
				}
				sinkStr = s
			}
		})
	}
}
