// Package prom is what jigmq's daemons' Prometheus metrics share: the
// latency buckets, a registry with the build info and Go's and the
// process's collectors, and its handler.
package prom

import (
	"net/http"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// LatencyBuckets, in seconds, span a fast board's answer to a request's
// longest deadline.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// NewRegistry is a registry of its own for a daemon, with <prefix>_build_info
// (labels version, goversion and labels; always 1) and Go's and the
// process's collectors.
func NewRegistry(prefix, version string, labels prometheus.Labels) *prometheus.Registry {
	l := prometheus.Labels{"version": version, "goversion": runtime.Version()}
	for k, v := range labels {
		l[k] = v
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: prefix + "_build_info",
		Help: "The build: always 1.", ConstLabels: l})
	build.Set(1)
	reg := prometheus.NewRegistry()
	reg.MustRegister(build, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves reg's metrics in Prometheus' formats.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}
