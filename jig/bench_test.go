package jig_test

import (
	"context"
	"testing"

	"github.com/jigmq/jigmq/jig/sim"
)

// BenchmarkStatus is one full status read (two queries) on a pty, one
// caller at a time.
func BenchmarkStatus(b *testing.B) {
	link := newLink(b)
	startBoard(b, link, sim.Config{})
	d := openDevice(b, testConfig(link))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Status(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatusParallel is many callers at once; shared reads make a
// call cheaper than a read. It reports board queries per call.
func BenchmarkStatusParallel(b *testing.B) {
	link := newLink(b)
	board := startBoard(b, link, sim.Config{})
	d := openDevice(b, testConfig(link))
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := d.Status(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(board.Queries())/float64(b.N), "queries/op")
}
