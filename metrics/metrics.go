// Package metrics exposes alived's state to Prometheus. Collectors read a
// status.Source at scrape time (descriptors are built once, values come
// from one snapshot per scrape, as node_exporter's collectors do) and are
// registered on a private registry, never the global one.
//
// VRRP metric names are those of mehdy/keepalived-exporter so that
// existing dashboards and alerts keep working; IPVS labels are
// node_exporter's. TestMetricNames pins the whole name set: renaming a
// metric must be a conscious decision.
package metrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/alived/alived/status"
)

// NewRegistry returns a registry holding alived's collectors over src plus
// the standard process and Go runtime collectors.
func NewRegistry(src status.Source) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		NewCollector(src),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering collector: %w", err)
		}
	}
	return reg, nil
}

// Handler serves reg in the Prometheus exposition formats. Errors while
// collecting are reported in the response, never by crashing the daemon.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: reg})
}
