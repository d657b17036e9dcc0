package bootstrap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/txsync/txsync/adapters/embeddedstore"
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
		{"unknown target", []string{"--target", "redis"},
			`--target must be txsync, noop, echo or store, got "redis"`},
		{"target with url", []string{"--target", "echo", "--url", "http://127.0.0.1:1"},
			"drop --url"},
		{"embedded and noop", []string{"--embedded", "--target", "noop"},
			"--embedded is --target txsync"},
		{"preload of running txsync", []string{"--admin-token", "t", "--preload", "10"},
			"use it with --target txsync or --embedded"},
		{"preload of noop", []string{"--target", "noop", "--preload", "10"},
			"use it with --target txsync or --embedded"},
		{"preload of store", []string{"--target", "store", "--preload", "10"},
			"use it with --target txsync or --embedded"},
		{"negative preload", []string{"--embedded", "--preload", "-1"},
			"--preload must be 0 to 5000000, got -1"},
		{"large preload", []string{"--embedded", "--preload", "5000001"},
			"--preload must be 0 to 5000000, got 5000001"},
		{"zero writers", []string{"--target", "store", "--writers", "0"},
			"--writers must be 1 to 64, got 0"},
		{"many writers", []string{"--embedded", "--preload", "10", "--writers", "65"},
			"--writers must be 1 to 64, got 65"},
		{"writers without bulk writes", []string{"--target", "noop", "--writers", "4"},
			"--writers applies to --target store and --preload"},
		{"store with rate", []string{"--target", "store", "--rate", "5", "--endpoint", "batch"},
			"drop --endpoint, --rate"},
		{"large store batch", []string{"--target", "store", "--batch-size", "1001"},
			"--batch-size of --target store must be 1 to 1000, got 1001"},
		{"store on MongoDB", []string{"--target", "store",
			"--set", "TXSYNC_MONGODB_URI=mongodb://127.0.0.1:1"}, "drop --set TXSYNC_MONGODB_URI"},
		{"zero store duration", []string{"--target", "store", "--duration", "0s"},
			"--duration must be above 0"},
		{"set for echo", []string{"--target", "echo", "--set", "TXSYNC_GROUP_COMMIT=false"},
			"--set configures the txsync or store"},
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

// TestBench_noop runs txsync bench --target noop: every purchase gets its status from the
// HTTP path, a resent purchase is recorded again rather than replayed, and the store holds
// no purchase and no customer afterwards.
func TestBench_noop(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	jsonPath := filepath.Join(t.TempDir(), "bench.json")

	stdout, stderr, code := runBench(t, "--target", "noop", "--rate", "50", "--duration", "1s",
		"--retry-share", "0.2", "--bad-share", "0.1", "--seed", "7",
		"--set", "TXSYNC_DATA_DIR="+dataDir, "--json", jsonPath)

	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "target noop,") {
		t.Errorf("stdout lacks \"target noop,\":\n%s", stdout)
	}
	step := readBenchStep(t, jsonPath)
	if want := map[int]int{400: step.Sent.Bad}; !reflect.DeepEqual(step.ErrorsByStatus, want) {
		t.Errorf("errors by status = %v, want %v", step.ErrorsByStatus, want)
	}
	if step.Succeeded+step.Sent.Bad != step.Purchases || step.Purchases == 0 {
		t.Errorf("succeeded %d + bad %d, want purchases %d, above 0",
			step.Succeeded, step.Sent.Bad, step.Purchases)
	}
	if step.Sent.Retries == 0 || step.Replayed != 0 {
		t.Errorf("replayed = %d of %d retries sent, want 0 of some", step.Replayed, step.Sent.Retries)
	}
	counts := countStored(t, dataDir)
	if counts.transactions != 0 || counts.customers != 0 {
		t.Errorf("store holds %d purchases and %d customers, want none", counts.transactions,
			counts.customers)
	}
}

// TestBench_echo runs txsync bench --target echo on both endpoints: the echo server sends
// every body back with 200, and every purchase counts as succeeded.
func TestBench_echo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
	}{
		{"single", []string{"--rate", "50"}},
		{"batch", []string{"--rate", "10", "--endpoint", "batch", "--batch-size", "5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			jsonPath := filepath.Join(t.TempDir(), "bench.json")
			args := append([]string{"--target", "echo", "--duration", "1s", "--bad-share", "0.1",
				"--json", jsonPath}, tc.args...)

			stdout, stderr, code := runBench(t, args...)

			if code != 0 {
				t.Fatalf("exit code %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if strings.Contains(stderr, "creating a partner client") {
				t.Errorf("stderr = %q, want no client created", stderr)
			}
			step := readBenchStep(t, jsonPath)
			if len(step.ErrorsByStatus) != 0 {
				t.Errorf("errors by status = %v, want none", step.ErrorsByStatus)
			}
			if step.Purchases == 0 || step.Succeeded != step.Purchases {
				t.Errorf("succeeded = %d, want all %d purchases", step.Succeeded, step.Purchases)
			}
			if step.Sent.Bad == 0 {
				t.Errorf("sent = %+v, want bad purchases, which the echo also answers with 200",
					step.Sent)
			}
		})
	}
}

// TestBench_store runs txsync bench --target store for one second and checks the printed
// rates, the JSON report and the documents in the store.
func TestBench_store(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	jsonPath := filepath.Join(t.TempDir(), "store.json")

	stdout, stderr, code := runBench(t, "--target", "store", "--duration", "1s",
		"--batch-size", "50", "--writers", "3", "--set", "TXSYNC_DATA_DIR="+dataDir,
		"--json", jsonPath)

	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, want := range []string{"purchases/s", "documents/s", "3 writer(s)", "batches of 50"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	var report struct {
		Purchases          int64   `json:"purchases"`
		Customers          int64   `json:"customers"`
		Documents          int64   `json:"documents"`
		Seconds            float64 `json:"seconds"`
		PurchasesPerSecond float64 `json:"purchases_per_second"`
		DocumentsPerSecond float64 `json:"documents_per_second"`
	}
	readJSON(t, jsonPath, &report)
	if report.Purchases == 0 || report.PurchasesPerSecond <= 0 {
		t.Errorf("purchases = %d at %g/s, want above 0", report.Purchases, report.PurchasesPerSecond)
	}
	if report.Customers != report.Purchases {
		t.Errorf("customers = %d, want one per purchase, %d", report.Customers, report.Purchases)
	}
	if report.Documents != report.Purchases+report.Customers {
		t.Errorf("documents = %d, want %d", report.Documents, report.Purchases+report.Customers)
	}
	if want := float64(report.Documents) / report.Seconds; report.DocumentsPerSecond != want {
		t.Errorf("documents/s = %g, want %g", report.DocumentsPerSecond, want)
	}
	if report.Seconds < 1 || report.Seconds > 1+30 {
		t.Errorf("seconds = %g, want at least the 1 s duration", report.Seconds)
	}
	counts := countStored(t, dataDir)
	if counts.transactions != report.Purchases {
		t.Errorf("store holds %d purchases, want %d", counts.transactions, report.Purchases)
	}
	if counts.customers != report.Customers {
		t.Errorf("store holds %d customers, want %d", counts.customers, report.Customers)
	}
}

// TestBench_preload preloads 1,000 purchases over 250 customers before a short load: the
// store holds them beside the load's own purchases and customers.
func TestBench_preload(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	jsonPath := filepath.Join(t.TempDir(), "bench.json")

	stdout, stderr, code := runBench(t, "--embedded", "--preload", "1000", "--writers", "3",
		"--rate", "20", "--duration", "1s", "--retry-share", "0", "--bad-share", "0",
		"--set", "TXSYNC_DATA_DIR="+dataDir, "--json", jsonPath)

	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if want := "preloaded 1000 purchases and 250 customers"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	step := readBenchStep(t, jsonPath)
	if step.Succeeded == 0 || step.Succeeded != step.Purchases {
		t.Errorf("succeeded = %d, want all %d purchases", step.Succeeded, step.Purchases)
	}
	counts := countStored(t, dataDir)
	if want := int64(1000 + step.Succeeded); counts.transactions != want {
		t.Errorf("store holds %d purchases, want 1000 preloaded + %d recorded",
			counts.transactions, step.Succeeded)
	}
	if want := int64(250 + step.Sent.New); counts.customers != want {
		t.Errorf("store holds %d customers, want 250 preloaded + %d new", counts.customers,
			step.Sent.New)
	}
}

// runBench runs txsync bench with args and returns its output and exit code.
func runBench(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = bootstrap.Main(append([]string{"bench"}, args...), &out, &errOut)
	return out.String(), errOut.String(), code
}

// readBenchStep reads the JSON report at path and returns its only step.
func readBenchStep(t *testing.T, path string) loadtest.Step {
	t.Helper()
	var report loadtest.Report
	readJSON(t, path, &report)
	if len(report.Steps) != 1 {
		t.Fatalf("JSON report has %d steps, want 1", len(report.Steps))
	}
	return report.Steps[0]
}

func readJSON(t *testing.T, path string, out any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("the JSON report does not parse: %v\n%s", err, data)
	}
}

// storedCounts are the numbers of documents in txsync's collections.
type storedCounts struct {
	transactions int64
	customers    int64
}

// countStored starts the embedded store on the data folder a bench left and counts the
// purchases and customers in it.
func countStored(t *testing.T, dataDir string) storedCounts {
	t.Helper()
	ctx := context.Background()
	store, err := embeddedstore.Start(ctx, dataDir, "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start the embedded store: %v", err)
	}
	defer func() {
		if err := store.Stop(ctx); err != nil {
			t.Errorf("stop the embedded store: %v", err)
		}
	}()
	client, err := mongo.Connect(options.Client().ApplyURI(store.URI()).SetTimeout(10 * time.Second))
	if err != nil {
		t.Fatalf("connect to the embedded store: %v", err)
	}
	defer client.Disconnect(ctx) // the counts are read; a disconnect error changes nothing

	db := client.Database("txsync")
	var counts storedCounts
	for name, count := range map[string]*int64{
		"transactions": &counts.transactions,
		"customers":    &counts.customers,
	} {
		*count, err = db.Collection(name).CountDocuments(ctx, bson.D{})
		if err != nil {
			t.Fatalf("count %s: %v", name, err)
		}
	}
	return counts
}
