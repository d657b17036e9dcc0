package bootstrap_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/txsync/txsync/adapters/loadtest"
	"github.com/txsync/txsync/bootstrap"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

// BenchmarkRecordTransaction posts new purchases through the partner API's Fiber app into
// the embedded store in three modes: tracing off, group commit off too, and tracing at 100%
// sampling. Traces go over OTLP/HTTP to a loopback receiver that discards them.
func BenchmarkRecordTransaction(b *testing.B) {
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	// The OTLP exporter reads its settings from the process environment.
	modes := []struct {
		name string
		env  map[string]string
	}{
		{"tracing=off", nil},
		{"tracing=off,group-commit=off", map[string]string{"TXSYNC_GROUP_COMMIT": "false"}},
		{"tracing=on", map[string]string{
			"OTEL_TRACES_EXPORTER":        "otlp",
			"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL,
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_TRACES_SAMPLER":         "always_on",
		}},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			for k, v := range mode.env {
				b.Setenv(k, v)
			}
			svc := servicetest.New(b, mode.env)
			client := servicetest.NewClient(b, svc, "m1")
			app := svc.PartnerAPI()
			var seq atomic.Int64

			b.ReportAllocs()
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					body := fmt.Sprintf(`{"transaction_id":"b-%d","customer_identifier":"openid-%d",`+
						`"identifier_type":1,"purchase_amount":9.9,"customer_nick_name":"n"}`, n, n%1000)
					req := httptest.NewRequest(http.MethodPost, "/tp/services/transaction", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+client.Token)
					resp, err := app.Test(req, -1)
					if err != nil {
						b.Fatal(err)
					}
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
					resp.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "purchases/s")
		})
	}
}

// TestBench_embedded runs txsync bench --embedded for one second at 50 requests per
// second and checks the printed table, the JSON report and the SVG plot.
func TestBench_embedded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jsonPath, svgPath := filepath.Join(dir, "bench.json"), filepath.Join(dir, "bench.svg")
	var stdout, stderr bytes.Buffer

	code := bootstrap.Main([]string{"bench", "--embedded", "--rate", "50", "--duration", "1s",
		"--retry-share", "0.1", "--bad-share", "0.1", "--seed", "7",
		"--json", jsonPath, "--plot", svgPath}, &stdout, &stderr)

	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout: %s\nstderr: %s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "offered/s") {
		t.Errorf("stdout lacks the table header:\n%s", &stdout)
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var report loadtest.Report
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatalf("the JSON report does not parse: %v\n%s", err, data)
	}
	if len(report.Steps) != 1 {
		t.Fatalf("JSON report has %d steps, want 1", len(report.Steps))
	}
	step := report.Steps[0]
	if step.Requests == 0 || int(step.Requests) != step.Purchases {
		t.Errorf("requests = %d, purchases = %d, want equal and above 0", step.Requests, step.Purchases)
	}
	if want := map[int]int{400: step.Sent.Bad}; !reflect.DeepEqual(step.ErrorsByStatus, want) {
		t.Errorf("errors by status = %v, want %v", step.ErrorsByStatus, want)
	}
	if step.Succeeded+step.Sent.Bad != step.Purchases {
		t.Errorf("succeeded %d + bad %d, want purchases %d",
			step.Succeeded, step.Sent.Bad, step.Purchases)
	}
	if step.Sent.Retries == 0 || step.Replayed != step.Sent.Retries {
		t.Errorf("replayed = %d, retries sent = %d, want equal and above 0",
			step.Replayed, step.Sent.Retries)
	}
	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(svg, []byte("<svg")) && !bytes.HasPrefix(svg, []byte("<?xml")) {
		t.Errorf("plot starts with %q, want <svg or <?xml", svg[:min(len(svg), 40)])
	}
}

// TestBench_nonLoopbackURL checks that bench rejects a target off loopback before it
// sends anything: the admin API it was also given, on loopback, gets no request.
func TestBench_nonLoopbackURL(t *testing.T) {
	t.Parallel()
	var requests atomic.Int64
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(counting.Close)

	cases := []struct {
		name, url, adminURL, wantErr string
	}{
		{"private partner URL", "http://10.0.0.8:8080", counting.URL, `--url: host "10.0.0.8"`},
		{"named partner URL", "http://example.com", counting.URL, `--url: host "example.com"`},
		{"link-local partner URL", "http://[fe80::1]:8080", counting.URL, `--url: host "fe80::1"`},
		{"metadata admin URL", counting.URL, "http://169.254.169.254",
			`--admin-url: host "169.254.169.254"`},
		{"any-address admin URL", counting.URL, "http://0.0.0.0:8081", `--admin-url: host "0.0.0.0"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer

			code := bootstrap.Main([]string{"bench", "--url", tc.url, "--admin-url", tc.adminURL,
				"--admin-token", "token", "--rate", "10", "--duration", "1s"}, &stdout, &stderr)

			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if !strings.Contains(stderr.String(), tc.wantErr) ||
				!strings.Contains(stderr.String(), "not a loopback address") {
				t.Errorf("stderr = %q, want %q and \"not a loopback address\"", &stderr, tc.wantErr)
			}
		})
	}
	t.Cleanup(func() {
		if got := requests.Load(); got != 0 {
			t.Errorf("the loopback server got %d requests, want 0", got)
		}
	})
}

func TestBench_flagErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"embedded with url", []string{"--embedded", "--url", "http://127.0.0.1:1"}, "drop --url"},
		{"no admin token", []string{"--rate", "5"}, "--admin-token is required"},
		{"rate and ramp", []string{"--embedded", "--rate", "5", "--ramp", "1:3:1"},
			"either --rate with --duration or --ramp"},
		{"step without ramp", []string{"--embedded", "--step", "1s"}, "--step needs --ramp"},
		{"descending ramp", []string{"--embedded", "--ramp", "30:10:10"}, "FROM <= TO"},
		{"ramp of too many steps", []string{"--embedded", "--ramp", "1:1000:1"}, "at most 100"},
		{"long duration", []string{"--embedded", "--duration", "2h"}, "at most 1h0m0s"},
		{"zero rate", []string{"--embedded", "--rate", "0"}, "at least 1 request per second"},
		{"unknown endpoint", []string{"--embedded", "--endpoint", "bulk"}, `got "bulk"`},
		{"large batch", []string{"--embedded", "--endpoint", "batch", "--batch-size", "501"},
			"batch size must be 1 to 500"},
		{"shares above 1", []string{"--embedded", "--retry-share", "0.7", "--bad-share", "0.5"},
			"add up to at most 1"},
		{"pdf plot", []string{"--embedded", "--plot", "out.pdf"}, "must end in .svg or .png"},
		{"max below workers", []string{"--embedded", "--workers", "20", "--max-workers", "5"},
			"max workers 0 or at least workers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer

			code := bootstrap.Main(append([]string{"bench"}, tc.args...), &stdout, &stderr)

			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", &stderr, tc.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", &stdout)
			}
		})
	}
}
