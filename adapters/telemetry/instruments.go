package telemetry

import (
	"fmt"

	"go.opentelemetry.io/otel/metric"
)

// instruments are the metrics txsync records besides the Go runtime's.
type instruments struct {
	httpDuration     metric.Float64Histogram
	storeDuration    metric.Float64Histogram
	purchases        metric.Int64Counter
	customersCreated metric.Int64Counter
	tokens           metric.Int64Counter
}

// durationBuckets are histogram bounds in seconds, from 0.5 ms to 10 s.
var durationBuckets = []float64{
	0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10,
}

func newInstruments(meter metric.Meter) (instruments, error) {
	var in instruments
	var err error
	if in.httpDuration, err = meter.Float64Histogram("http.server.request.duration",
		metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP server requests."),
		metric.WithExplicitBucketBoundaries(durationBuckets...),
	); err != nil {
		return in, fmt.Errorf("create metric: %w", err)
	}
	if in.storeDuration, err = meter.Float64Histogram("db.client.operation.duration",
		metric.WithUnit("s"),
		metric.WithDescription("Duration of store commands."),
		metric.WithExplicitBucketBoundaries(durationBuckets...),
	); err != nil {
		return in, fmt.Errorf("create metric: %w", err)
	}
	if in.purchases, err = meter.Int64Counter("txsync.purchases",
		metric.WithUnit("{purchase}"),
		metric.WithDescription("Purchase requests by outcome: created, replayed, conflict or rejected."),
	); err != nil {
		return in, fmt.Errorf("create metric: %w", err)
	}
	if in.customersCreated, err = meter.Int64Counter("txsync.customers.created",
		metric.WithUnit("{customer}"),
		metric.WithDescription("Customers created by a purchase."),
	); err != nil {
		return in, fmt.Errorf("create metric: %w", err)
	}
	if in.tokens, err = meter.Int64Counter("txsync.tokens",
		metric.WithUnit("{token}"),
		metric.WithDescription("Access token requests by outcome: issued or refused."),
	); err != nil {
		return in, fmt.Errorf("create metric: %w", err)
	}
	return in, nil
}
