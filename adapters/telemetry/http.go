package telemetry

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// purchaseRoute is the route whose responses count as purchase outcomes.
const purchaseRoute = "/tp/services/transaction"

// HTTPMiddleware returns Fiber middleware that traces each request as a server span named
// after its route, continues the caller's trace from traceparent and baggage, returns
// traceparent in the response and records the request duration.
//
// It follows the stable HTTP semantic conventions, and records the URL path but never the
// query string, which can carry personal data. Handlers run before it reads the status, so
// put it before any middleware that turns errors into responses.
//
// It is written here rather than taken from gofiber/contrib/otelfiber because that
// package (v2.1.1) records the full URL with its query and follows semantic conventions
// v1.12, whose attribute names have since changed.
func (t *Telemetry) HTTPMiddleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		// Fiber's strings point into buffers that are reused once the request ends, and
		// spans are exported later, so every request string is cloned.
		method := strings.Clone(c.Method())
		ctx := t.propagator.Extract(c.UserContext(), fastHeaderCarrier{c})
		ctx, span := t.tracer.Start(ctx, method,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				semconv.HTTPRequestMethodKey.String(method),
				semconv.URLPath(strings.Clone(c.Path())),
				semconv.URLScheme(strings.Clone(c.Protocol())),
				semconv.NetworkProtocolVersion(protocolVersion(c)),
				semconv.UserAgentOriginal(string(c.Request().Header.UserAgent())),
			),
		)
		defer span.End()
		c.SetUserContext(ctx)

		err := c.Next()

		status := c.Response().StatusCode()
		route := c.Route().Path
		if route != "" && route != "/" {
			span.SetName(method + " " + route)
		}
		span.SetAttributes(semconv.HTTPRoute(route), semconv.HTTPResponseStatusCode(status))
		if status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, http.StatusText(status))
			span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(status)))
		}
		t.propagator.Inject(ctx, fastResponseCarrier{c})

		attrs := metric.WithAttributes(
			semconv.HTTPRequestMethodKey.String(method),
			semconv.HTTPRoute(route),
			semconv.HTTPResponseStatusCode(status),
		)
		t.instruments.httpDuration.Record(ctx, time.Since(start).Seconds(), attrs)
		if route == purchaseRoute && method == fiber.MethodPost && !c.QueryBool("dry_run") {
			outcome := purchaseOutcome(status, c.GetRespHeader("Idempotent-Replayed") == "true")
			t.instruments.purchases.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
		}
		return err
	}
}

// purchaseOutcome names the outcome of a purchase request by its status.
func purchaseOutcome(status int, replayed bool) string {
	switch {
	case status == http.StatusOK && replayed:
		return "replayed"
	case status == http.StatusOK:
		return "created"
	case status == http.StatusConflict:
		return "conflict"
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return "unauthorized"
	case status < http.StatusInternalServerError:
		return "rejected"
	}
	return "failed"
}

func protocolVersion(c *fiber.Ctx) string {
	if c.Request().Header.IsHTTP11() {
		return "1.1"
	}
	return "1.0"
}

// fastHeaderCarrier reads propagation headers from a Fiber request without copying all
// of them into an http.Header.
type fastHeaderCarrier struct{ c *fiber.Ctx }

func (h fastHeaderCarrier) Get(key string) string { return h.c.Get(key) }
func (h fastHeaderCarrier) Set(string, string)    {}
func (h fastHeaderCarrier) Keys() []string {
	return []string{"traceparent", "tracestate", "baggage"}
}

// fastResponseCarrier writes propagation headers to a Fiber response.
type fastResponseCarrier struct{ c *fiber.Ctx }

func (h fastResponseCarrier) Get(key string) string { return h.c.GetRespHeader(key) }
func (h fastResponseCarrier) Set(key, value string) { h.c.Set(key, value) }
func (h fastResponseCarrier) Keys() []string        { return nil }

var _ propagation.TextMapCarrier = fastHeaderCarrier{}
