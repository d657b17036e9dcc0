// Package telemetry makes txsync observable with OpenTelemetry: a trace per request with
// spans for the use case and every store command, and metrics for Prometheus and OTLP.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// instrumentationName names the tracer and meter of txsync's own spans and metrics.
const instrumentationName = "github.com/txsync/txsync"

// Config selects what telemetry exports. The exporters themselves read the standard
// OTEL_* variables (endpoint, protocol, headers, sampler, resource attributes).
type Config struct {
	// ExportTraces turns tracing on, with the exporter OTEL_TRACES_EXPORTER names.
	ExportTraces bool
	// PushMetrics also pushes metrics with the exporter OTEL_METRICS_EXPORTER names (otlp
	// or console). Metrics are always served for Prometheus.
	PushMetrics bool
	// SpanProcessors receive every span as well, whether or not ExportTraces is set.
	// Tests pass an in-memory recorder here.
	SpanProcessors []sdktrace.SpanProcessor
}

// Telemetry holds the tracer and meter providers of one txsync and its instruments.
type Telemetry struct {
	tracerProvider trace.TracerProvider
	tracer         trace.Tracer
	propagator     propagation.TextMapPropagator
	registry       *promclient.Registry
	instruments    instruments
	shutdown       []func(context.Context) error
}

// Setup builds the providers. With tracing off, spans cost next to nothing: the tracer is a
// no-op that only carries an incoming trace context through. Call Shutdown to flush.
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	t := &Telemetry{
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		registry:   promclient.NewRegistry(),
	}

	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("txsync")),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}

	if err := t.setupTraces(ctx, cfg, res); err != nil {
		return nil, err
	}
	meterProvider, err := t.setupMetrics(ctx, cfg, res)
	if err != nil {
		return nil, errors.Join(err, t.Shutdown(ctx))
	}
	if err := runtime.Start(runtime.WithMeterProvider(meterProvider)); err != nil {
		return nil, errors.Join(fmt.Errorf("runtime metrics: %w", err), t.Shutdown(ctx))
	}
	t.instruments, err = newInstruments(meterProvider.Meter(instrumentationName))
	if err != nil {
		return nil, errors.Join(err, t.Shutdown(ctx))
	}
	t.tracer = t.tracerProvider.Tracer(instrumentationName)
	return t, nil
}

func (t *Telemetry) setupTraces(ctx context.Context, cfg Config, res *resource.Resource) error {
	if !cfg.ExportTraces && len(cfg.SpanProcessors) == 0 {
		t.tracerProvider = noop.NewTracerProvider()
		return nil
	}

	// The SDK reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG itself.
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if cfg.ExportTraces {
		exporter, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return fmt.Errorf("trace exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exporter))
	}
	for _, p := range cfg.SpanProcessors {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	provider := sdktrace.NewTracerProvider(opts...)
	t.tracerProvider = provider
	t.shutdown = append(t.shutdown, provider.Shutdown)
	return nil
}

func (t *Telemetry) setupMetrics(ctx context.Context, cfg Config, res *resource.Resource) (metric.MeterProvider, error) {
	if err := t.registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("process metrics: %w", err)
	}
	scrape, err := prometheus.New(prometheus.WithRegisterer(t.registry))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	opts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(scrape)}
	if cfg.PushMetrics {
		push, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return nil, fmt.Errorf("metric exporter: %w", err)
		}
		opts = append(opts, sdkmetric.WithReader(push))
	}
	provider := sdkmetric.NewMeterProvider(opts...)
	t.shutdown = append(t.shutdown, provider.Shutdown)
	return provider, nil
}

// Tracer returns the tracer of txsync's own spans.
func (t *Telemetry) Tracer() trace.Tracer {
	return t.tracer
}

// MetricsHandler serves the metrics in the Prometheus text format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{})
}

// Shutdown flushes the spans and metrics still buffered and stops the exporters.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, shutdown := range t.shutdown {
		errs = append(errs, shutdown(ctx))
	}
	t.shutdown = nil
	return errors.Join(errs...)
}
