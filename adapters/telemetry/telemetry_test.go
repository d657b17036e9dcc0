package telemetry_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/txsync/txsync/bootstrap"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

const (
	// callerTraceID and callerSpanID are the caller's span in the traceparent tests send.
	callerTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID  = "00f067aa0ba902b7"
	traceparent   = "00-" + callerTraceID + "-" + callerSpanID + "-01"
	phone         = "13592619028"
	phoneE164     = "+8613592619028"
)

func purchaseBody(transactionID string) string {
	return `{"transaction_id":"` + transactionID + `","customer_identifier":"` + phone +
		`","identifier_type":3,"purchase_amount":14.1,"customer_nick_name":"ethan"}`
}

func post(t *testing.T, app *fiber.App, token, body string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/tp/services/transaction", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("post purchase: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestTracing_spanTreeOfOnePurchase(t *testing.T) {
	t.Parallel()
	recorder := tracetest.NewSpanRecorder()
	svc := servicetest.New(t, nil, bootstrap.WithSpanProcessor(recorder))
	client := servicetest.NewClient(t, svc, "m1")
	recorder.Reset()

	resp := post(t, svc.PartnerAPI(), client.Token, purchaseBody("T-1"), map[string]string{"traceparent": traceparent})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}

	spans := recorder.Ended()
	byName := make(map[string]sdktrace.ReadOnlySpan)
	for _, s := range spans {
		byName[s.Name()] = s
	}
	server, ok := byName["POST /tp/services/transaction"]
	if !ok {
		t.Fatalf("no server span among %v", names(spans))
	}
	useCase, ok := byName["RecordTransaction"]
	if !ok {
		t.Fatalf("no RecordTransaction span among %v", names(spans))
	}

	// The server span continues the caller's trace.
	if got := server.SpanContext().TraceID().String(); got != callerTraceID {
		t.Errorf("server span trace id = %s, want the caller's %s", got, callerTraceID)
	}
	if got := server.Parent().SpanID().String(); got != callerSpanID || !server.Parent().IsRemote() {
		t.Errorf("server span parent = %s (remote %t), want the caller's span %s", got, server.Parent().IsRemote(), callerSpanID)
	}
	if server.SpanKind() != trace.SpanKindServer {
		t.Errorf("server span kind = %s, want server", server.SpanKind())
	}
	wantServerAttrs := map[string]string{
		"http.request.method":       "POST",
		"http.route":                "/tp/services/transaction",
		"http.response.status_code": "200",
		"url.path":                  "/tp/services/transaction",
	}
	assertAttributes(t, server, wantServerAttrs)

	// The response carries the trace id so the partner can quote it.
	if got := resp.Header.Get("traceparent"); !strings.Contains(got, callerTraceID) {
		t.Errorf("response traceparent = %q, want trace id %s", got, callerTraceID)
	}

	if useCase.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("RecordTransaction's parent is %s, want the server span", useCase.Parent().SpanID())
	}
	assertAttributes(t, useCase, map[string]string{
		"txsync.merchant.id":                "m1",
		"txsync.customer.identifier_type":   "phone",
		"txsync.customer.identifier_masked": "135****9028",
		"txsync.transaction.replayed":       "false",
		"txsync.customer.created":           "true",
	})

	// Every store command of the request is in the use case's subtree: directly, or under
	// the group commit that carried its document.
	commands := map[string]bool{}
	for _, s := range spans {
		if s.SpanKind() != trace.SpanKindClient {
			continue
		}
		if !descends(spans, s, useCase) {
			t.Errorf("store span %q is not under RecordTransaction", s.Name())
		}
		commands[s.Name()] = true
		assertAttributes(t, s, map[string]string{"db.system.name": "mongodb", "db.namespace": "txsync"})
	}
	for _, want := range []string{"insert transactions", "insert customers"} {
		if !commands[want] {
			t.Errorf("store spans = %v, want one named %q", commands, want)
		}
	}
}

func TestTracing_replayAndConflictAttributes(t *testing.T) {
	t.Parallel()
	recorder := tracetest.NewSpanRecorder()
	svc := servicetest.New(t, nil, bootstrap.WithSpanProcessor(recorder))
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	post(t, app, client.Token, purchaseBody("T-1"), nil)

	recorder.Reset()
	post(t, app, client.Token, purchaseBody("T-1"), nil)
	replay := findSpan(t, recorder.Ended(), "RecordTransaction")
	assertAttributes(t, replay, map[string]string{
		"txsync.transaction.replayed": "true",
		"txsync.customer.created":     "false",
	})

	recorder.Reset()
	post(t, app, client.Token, strings.Replace(purchaseBody("T-1"), "14.1", "15", 1), nil)
	conflict := findSpan(t, recorder.Ended(), "RecordTransaction")
	if len(conflict.Events()) == 0 || conflict.Events()[0].Name != "exception" {
		t.Errorf("conflict span events = %v, want the recorded error", conflict.Events())
	}
}

func TestTracing_noPhoneNumberInSpansOrLogs(t *testing.T) {
	t.Parallel()
	recorder := tracetest.NewSpanRecorder()
	var logs servicetest.Buffer
	cfg, err := bootstrap.LoadConfigFrom(map[string]string{
		"TXSYNC_DATA_DIR": t.TempDir(), "TXSYNC_BCRYPT_COST": "4", "TXSYNC_LOG_LEVEL": "debug",
	})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := bootstrap.New(context.Background(), cfg, logger, bootstrap.WithSpanProcessor(recorder))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close(context.Background()) }) // teardown
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	post(t, app, client.Token, purchaseBody("T-1"), nil)
	post(t, app, client.Token, purchaseBody("T-1"), nil)
	post(t, app, client.Token, strings.Replace(purchaseBody("T-1"), "14.1", "15", 1), nil)

	national := strings.TrimPrefix(phoneE164, "+86")
	for _, s := range recorder.Ended() {
		var text strings.Builder
		text.WriteString(s.Name())
		for _, a := range s.Attributes() {
			text.WriteString(" " + a.Value.Emit())
		}
		for _, e := range s.Events() {
			text.WriteString(" " + e.Name)
			for _, a := range e.Attributes {
				text.WriteString(" " + a.Value.Emit())
			}
		}
		text.WriteString(" " + s.Status().Description)
		if strings.Contains(text.String(), national) {
			t.Errorf("span %q contains the phone number: %s", s.Name(), text.String())
		}
	}
	if strings.Contains(logs.String(), national) {
		t.Errorf("logs contain the phone number:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"trace_id"`) {
		t.Errorf("request log lines lack trace_id:\n%s", logs.String())
	}
}

func TestMetrics_countersMoveByPurchasesSent(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	before := scrape(t, svc.AdminAPI())

	post(t, app, client.Token, purchaseBody("A"), nil)                                   // created
	post(t, app, client.Token, purchaseBody("B"), nil)                                   // created
	post(t, app, client.Token, purchaseBody("A"), nil)                                   // replayed
	post(t, app, client.Token, strings.Replace(purchaseBody("A"), "14.1", "15", 1), nil) // conflict
	post(t, app, client.Token, `{"transaction_id":"C"}`, nil)                            // rejected
	post(t, app, client.Token, `{"transaction_id":`, nil)                                // rejected
	after := scrape(t, svc.AdminAPI())

	for outcome, want := range map[string]float64{"created": 2, "replayed": 1, "conflict": 1, "rejected": 2} {
		labels := map[string]string{"outcome": outcome}
		got := value(after, "txsync_purchases_total", labels) - value(before, "txsync_purchases_total", labels)
		if got != want {
			t.Errorf("txsync_purchases_total{outcome=%q} moved by %v, want %v", outcome, got, want)
		}
	}
	if got := value(after, "txsync_customers_created_total", nil) - value(before, "txsync_customers_created_total", nil); got != 1 {
		t.Errorf("txsync_customers_created_total moved by %v, want 1: both purchases name one customer", got)
	}
	if got := value(after, "txsync_tokens_total", map[string]string{"outcome": "issued"}); got != 1 {
		t.Errorf("txsync_tokens_total{outcome=issued} = %v, want 1", got)
	}
	for _, family := range []string{"http_server_request_duration_seconds", "db_client_operation_duration_seconds", "go_goroutine_count", "process_resident_memory_bytes"} {
		if _, ok := after[family]; !ok {
			t.Errorf("metric family %s is missing", family)
		}
	}
}

// scrape reads GET /metrics of the admin API as Prometheus text.
func scrape(t *testing.T, admin *fiber.App) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := admin.Test(httptest.NewRequest(http.MethodGet, "/metrics", nil), -1)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", resp.StatusCode, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	return families
}

// value returns the sum of the samples of family whose labels include labels.
func value(families map[string]*dto.MetricFamily, family string, labels map[string]string) float64 {
	f, ok := families[family]
	if !ok {
		return 0
	}
	sum := 0.0
	for _, m := range f.GetMetric() {
		matched := 0
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
				matched++
			}
		}
		if matched == len(labels) {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// descends reports whether span is a descendant of ancestor among spans.
func descends(spans []sdktrace.ReadOnlySpan, span, ancestor sdktrace.ReadOnlySpan) bool {
	byID := make(map[trace.SpanID]sdktrace.ReadOnlySpan, len(spans))
	for _, s := range spans {
		byID[s.SpanContext().SpanID()] = s
	}
	for current := span; current != nil; current = byID[current.Parent().SpanID()] {
		if current.Parent().SpanID() == ancestor.SpanContext().SpanID() {
			return true
		}
	}
	return false
}

func assertAttributes(t *testing.T, span sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	got := make(map[string]string)
	for _, a := range span.Attributes() {
		got[string(a.Key)] = a.Value.Emit()
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("span %q: %s = %q, want %q", span.Name(), k, got[k], v)
		}
	}
}

func findSpan(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range spans {
		if s.Name() == name {
			return s
		}
	}
	t.Fatalf("no span %q among %v", name, names(spans))
	return nil
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name()
	}
	return out
}
