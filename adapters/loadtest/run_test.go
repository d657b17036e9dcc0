package loadtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/txsync/txsync/adapters/loadtest"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

// TestRun_txsync runs a short load on each endpoint of a txsync in process, built
// through bootstrap.New, and checks that the report accounts for every purchase.
func TestRun_txsync(t *testing.T) {
	t.Parallel()
	// A short refresh applies the raised rate limit of the load test's client at once.
	svc := servicetest.New(t, map[string]string{"TXSYNC_CLIENT_REFRESH": "1s"})
	partnerURL, adminURL := servicetest.Serve(t, svc)
	service := loadtest.Service{
		PartnerURL: partnerURL,
		AdminURL:   adminURL,
		AdminToken: svc.AdminToken(),
	}

	cases := []struct {
		name      string
		endpoint  loadtest.Endpoint
		batchSize int
		rate      int
	}{
		{"single", loadtest.EndpointSingle, 1, 50},
		{"batch", loadtest.EndpointBatch, 10, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig(service)
			cfg.Endpoint, cfg.BatchSize, cfg.Rates = tc.endpoint, tc.batchSize, []int{tc.rate}

			report, err := loadtest.Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}

			if len(report.Steps) != 1 {
				t.Fatalf("report has %d steps, want 1", len(report.Steps))
			}
			if !strings.HasPrefix(report.Merchant, "bench-") || report.ClientID == "" {
				t.Errorf("merchant %q, client %q, want a bench- merchant and a client id",
					report.Merchant, report.ClientID)
			}
			step := report.Steps[0]
			checkAccounting(t, step, tc.batchSize)
			checkLatency(t, step)
			if uint64(tc.rate)/2 > step.Requests {
				t.Errorf("requests = %d, want at least %d for %d/s over 1 s",
					step.Requests, tc.rate/2, tc.rate)
			}
			want := map[int]int{400: step.Sent.Bad}
			if !reflect.DeepEqual(step.ErrorsByStatus, want) {
				t.Errorf("errors by status = %v, want %v: only the bad purchases fail",
					step.ErrorsByStatus, want)
			}
			if step.Replayed != step.Sent.Retries {
				t.Errorf("replayed = %d, want %d: every retry is a replay",
					step.Replayed, step.Sent.Retries)
			}
			if step.Sent.Bad == 0 || step.Sent.Retries == 0 {
				t.Errorf("sent = %+v, want bad purchases and retries in the mix", step.Sent)
			}
			checkJSONRoundTrip(t, report)
			checkSVG(t, report)
		})
	}
}

// TestRun_failures counts 503s and connections closed without a response from a fake
// service on loopback.
func TestRun_failures(t *testing.T) {
	t.Parallel()
	fake := newFakeService(t, "1000000")
	cfg := validConfig(fake.service())
	cfg.Mix = loadtest.Mix{}

	report, err := loadtest.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	step := report.Steps[0]
	checkAccounting(t, step, 1)
	if step.ErrorsByStatus[503] == 0 || step.ErrorsByStatus[loadtest.NoResponse] == 0 {
		t.Errorf("errors by status = %v, want 503s and no-response", step.ErrorsByStatus)
	}
	if step.Succeeded == 0 {
		t.Errorf("succeeded = 0, want every third purchase")
	}
	if len(step.TransportErrors) == 0 {
		t.Errorf("transport errors = none, want the error of a closed connection")
	}
}

// TestRun_interrupted cancels a run in its first step: the step stops early, it is in the
// report, and no later step starts.
func TestRun_interrupted(t *testing.T) {
	t.Parallel()
	fake := newFakeService(t, "1000000")
	cfg := validConfig(fake.service())
	cfg.Rates, cfg.StepDuration = []int{20, 20}, 5*time.Second
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)

	started := time.Now()
	report, err := loadtest.Run(ctx, cfg)
	elapsed := time.Since(started)

	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run error = %v, want context.Canceled", err)
	}
	if len(report.Steps) != 1 || !report.Steps[0].Interrupted {
		t.Fatalf("steps = %+v, want one interrupted step", report.Steps)
	}
	if elapsed > 3*time.Second {
		t.Errorf("Run returned after %s, want soon after the cancel at 500ms", elapsed)
	}
	checkAccounting(t, report.Steps[0], 1)
}

// TestRun_rateLimitNotApplied gives up when the service never reports the raised limit.
func TestRun_rateLimitNotApplied(t *testing.T) {
	t.Parallel()
	fake := newFakeService(t, "1000")
	cfg := validConfig(fake.service())
	cfg.RateLimitWait = 600 * time.Millisecond

	report, err := loadtest.Run(context.Background(), cfg)

	if err == nil || !strings.Contains(err.Error(), `RateLimit-Limit "1000"`) {
		t.Errorf("Run error = %v, want one naming the RateLimit-Limit still reported", err)
	}
	if len(report.Steps) != 0 || fake.transactions.Load() != 0 {
		t.Errorf("got %d steps and %d purchases, want none",
			len(report.Steps), fake.transactions.Load())
	}
}

// checkAccounting checks that every purchase of step is counted exactly once.
func checkAccounting(t *testing.T, step loadtest.Step, batchSize int) {
	t.Helper()
	errorsTotal := 0
	for _, n := range step.ErrorsByStatus {
		errorsTotal += n
	}
	if step.Succeeded+errorsTotal != step.Purchases {
		t.Errorf("succeeded %d + errors %d = %d, want purchases %d (errors %v)",
			step.Succeeded, errorsTotal, step.Succeeded+errorsTotal, step.Purchases,
			step.ErrorsByStatus)
	}
	if want := int(step.Requests) * batchSize; step.Purchases != want {
		t.Errorf("purchases = %d, want %d requests × %d", step.Purchases, step.Requests, batchSize)
	}
	if step.Sent.Total() != step.Purchases {
		t.Errorf("sent %+v adds up to %d, want purchases %d",
			step.Sent, step.Sent.Total(), step.Purchases)
	}
	if step.Purchases > 0 {
		if want := float64(step.Succeeded) / float64(step.Purchases); step.SuccessRatio != want {
			t.Errorf("success ratio = %g, want %g", step.SuccessRatio, want)
		}
	}
}

func checkLatency(t *testing.T, step loadtest.Step) {
	t.Helper()
	l := step.Latency
	if !(0 < l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency = %+v, want 0 < p50 <= p95 <= p99 <= max", l)
	}
	if step.Throughput <= 0 {
		t.Errorf("throughput = %g, want above 0", step.Throughput)
	}
}

func checkJSONRoundTrip(t *testing.T, report loadtest.Report) {
	t.Helper()
	var out bytes.Buffer
	if err := loadtest.WriteJSON(&out, report); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	var got loadtest.Report
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("the JSON report does not parse: %v\n%s", err, out.Bytes())
	}
	if !reflect.DeepEqual(got, report) {
		t.Errorf("JSON report reads back as\n%+v\nwant\n%+v", got, report)
	}
}

func checkSVG(t *testing.T, report loadtest.Report) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "latency.svg")
	if err := loadtest.SavePlot(path, report); err != nil {
		t.Fatalf("SavePlot: %v", err)
	}
	svg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(svg, []byte("<svg")) && !bytes.HasPrefix(svg, []byte("<?xml")) {
		t.Errorf("plot starts with %q, want <svg or <?xml", svg[:min(len(svg), 40)])
	}
}
