package telemetry

import (
	"context"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// unknownServer is the driver's kind of a server it cannot reach.
const unknownServer = "Unknown"

// ServerMonitor returns a MongoDB driver monitor that traces, as a root span of its own,
// and logs every time a store server becomes unreachable or reachable again, so outages
// and reconnects show in traces and logs.
func (t *Telemetry) ServerMonitor(logger *slog.Logger) *event.ServerMonitor {
	return &event.ServerMonitor{
		ServerDescriptionChanged: func(e *event.ServerDescriptionChangedEvent) {
			before, after := e.PreviousDescription.Kind, e.NewDescription.Kind
			lost := before != unknownServer && after == unknownServer
			found := before == unknownServer && after != unknownServer
			if !lost && !found {
				return
			}

			addr := e.Address.String()
			_, span := t.tracer.Start(context.Background(), "StoreServerChanged",
				trace.WithNewRoot(),
				trace.WithSpanKind(trace.SpanKindInternal),
				trace.WithAttributes(
					semconv.DBSystemNameMongoDB,
					semconv.ServerAddress(addr),
					attribute.String("txsync.store.previous_kind", before),
					attribute.String("txsync.store.kind", after),
				),
			)
			defer span.End()

			if lost {
				span.SetStatus(codes.Error, "store server unreachable")
				logger.Warn("store server unreachable, requests return 503 until it is back", "server", addr)
				return
			}
			logger.Info("store server reachable", "server", addr, "kind", after)
		},
	}
}
