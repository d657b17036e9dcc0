package telemetry

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// CommandMonitor returns a MongoDB driver monitor that traces every store command as a
// client span named "<command> <collection>", with the database semantic conventions, and
// records its duration. The command body is never recorded: it holds customer data.
//
// The contrib package otelmongo for driver v2 is not released on the Go module proxy, so
// the monitor is written here.
func (t *Telemetry) CommandMonitor() *event.CommandMonitor {
	m := &commandMonitor{t: t}
	return &event.CommandMonitor{Started: m.started, Succeeded: m.succeeded, Failed: m.failed}
}

type commandMonitor struct {
	t     *Telemetry
	spans sync.Map // request id → trace.Span
}

func (m *commandMonitor) started(ctx context.Context, e *event.CommandStartedEvent) {
	collection := commandCollection(e)
	name := e.CommandName
	if collection != "" {
		name += " " + collection
	}
	host, port := connectionAddress(e.ConnectionID)
	_, span := m.t.tracer.Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			semconv.DBSystemNameMongoDB,
			semconv.DBOperationName(e.CommandName),
			semconv.DBCollectionName(collection),
			semconv.DBNamespace(e.DatabaseName),
			semconv.ServerAddress(host),
			semconv.ServerPort(port),
		),
	)
	m.spans.Store(e.RequestID, span)
}

func (m *commandMonitor) succeeded(ctx context.Context, e *event.CommandSucceededEvent) {
	m.finish(ctx, &e.CommandFinishedEvent, nil)
}

func (m *commandMonitor) failed(ctx context.Context, e *event.CommandFailedEvent) {
	m.finish(ctx, &e.CommandFinishedEvent, e.Failure)
}

func (m *commandMonitor) finish(ctx context.Context, e *event.CommandFinishedEvent, failure error) {
	m.t.instruments.storeDuration.Record(ctx, e.Duration.Seconds(), metric.WithAttributes(
		semconv.DBSystemNameMongoDB,
		semconv.DBOperationName(e.CommandName),
	))
	value, ok := m.spans.LoadAndDelete(e.RequestID)
	if !ok {
		return
	}
	span := value.(trace.Span)
	if failure != nil {
		span.RecordError(failure)
		span.SetStatus(codes.Error, e.CommandName+" failed")
	}
	span.End(trace.WithTimestamp(time.Now()))
}

// commandCollection returns the collection a command names in its first element, as
// insert, find, update, delete and the index commands do.
func commandCollection(e *event.CommandStartedEvent) string {
	first, err := e.Command.IndexErr(0)
	if err != nil {
		return ""
	}
	collection, ok := first.Value().StringValueOK()
	if !ok {
		return ""
	}
	return collection
}

// connectionAddress splits the driver's connection id, "host:port[-n]", into the server's
// address and port.
func connectionAddress(connectionID string) (string, int) {
	addr := connectionID
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == '[' {
			addr = addr[:i]
			break
		}
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	port, _ := strconv.Atoi(portText)
	return host, port
}
