// Package tracing_test runs the txsync binary with OTLP export to a receiver of the test's
// own on loopback, and finds each request's trace there.
package tracing_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/txsync/txsync/bootstrap/servicetest"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// receiver is an OTLP/HTTP trace receiver that keeps every span it gets.
type receiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/v1/traces" {
		http.NotFound(w, req)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var export collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &export); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, rs := range export.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			r.spans = append(r.spans, ss.GetSpans()...)
		}
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Write(out)
}

// trace returns the spans of traceID received so far.
func (r *receiver) trace(traceID string) []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var spans []*tracepb.Span
	for _, s := range r.spans {
		if hex.EncodeToString(s.GetTraceId()) == traceID {
			spans = append(spans, s)
		}
	}
	return spans
}

func TestTracing_OTLPExportOfOneRequest(t *testing.T) {
	t.Parallel()
	sink := &receiver{}
	collector := httptest.NewServer(sink)
	t.Cleanup(collector.Close)

	binary := buildTxsync(t)
	httpAddr, adminAddr := servicetest.FreeAddr(t), servicetest.FreeAddr(t)
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(),
		"TXSYNC_DATA_DIR="+t.TempDir(),
		"TXSYNC_BCRYPT_COST=4",
		"TXSYNC_HTTP_ADDR="+httpAddr,
		"TXSYNC_ADMIN_ADDR="+adminAddr,
		"TXSYNC_ADMIN_TOKEN=admin",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+collector.URL,
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_BSP_SCHEDULE_DELAY=100",
		"OTEL_SERVICE_NAME=txsync-e2e",
	)
	output := &servicetest.Buffer{}
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // teardown
		_ = cmd.Wait()
	})
	base := "http://" + httpAddr
	waitReady(t, base, output)

	token := newClientToken(t, "http://"+adminAddr, base)
	const callerTraceID = "0af7651916cd43dd8448eb211c80319c"
	const callerSpanID = "b7ad6b7169203331"
	req, _ := http.NewRequest(http.MethodPost, base+"/tp/services/transaction", strings.NewReader(
		`{"transaction_id":"T-1","customer_identifier":"openid-1","identifier_type":1,"purchase_amount":9.9}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("traceparent", "00-"+callerTraceID+"-"+callerSpanID+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}

	// Spans are exported in batches; wait until every expected span arrived.
	want := []string{"POST /tp/services/transaction", "RecordTransaction", "insert transactions", "insert customers"}
	var spans []*tracepb.Span
	byName := map[string]*tracepb.Span{}
	for range 100 {
		spans = sink.trace(callerTraceID)
		for _, s := range spans {
			byName[s.GetName()] = s
		}
		if hasAll(byName, want) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	server, useCase := byName["POST /tp/services/transaction"], byName["RecordTransaction"]
	if server == nil || useCase == nil {
		t.Fatalf("trace %s has spans %v, want the server and RecordTransaction spans", callerTraceID, keys(byName))
	}
	if got := hex.EncodeToString(server.GetParentSpanId()); got != callerSpanID {
		t.Errorf("server span parent = %s, want the caller's span %s", got, callerSpanID)
	}
	if !bytes.Equal(useCase.GetParentSpanId(), server.GetSpanId()) {
		t.Errorf("RecordTransaction is not a child of the server span")
	}
	// With one request in flight, every store command is in its trace, under the use case
	// directly or under the group commit that carried its document.
	for _, want := range []string{"insert transactions", "insert customers"} {
		s := byName[want]
		if s == nil {
			t.Errorf("trace has spans %v, want %q", keys(byName), want)
			continue
		}
		if !descends(spans, s, useCase) {
			t.Errorf("%q is not under RecordTransaction", want)
		}
	}
}

func hasAll(spans map[string]*tracepb.Span, names []string) bool {
	for _, name := range names {
		if spans[name] == nil {
			return false
		}
	}
	return true
}

// descends reports whether span is a descendant of ancestor among spans.
func descends(spans []*tracepb.Span, span, ancestor *tracepb.Span) bool {
	byID := make(map[string]*tracepb.Span, len(spans))
	for _, s := range spans {
		byID[string(s.GetSpanId())] = s
	}
	for current := span; current != nil; current = byID[string(current.GetParentSpanId())] {
		if bytes.Equal(current.GetParentSpanId(), ancestor.GetSpanId()) {
			return true
		}
	}
	return false
}

var (
	buildOnce   sync.Once
	builtBinary string
	buildErr    error
)

// buildTxsync builds the txsync binary once per test process.
func buildTxsync(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "txsync-tracing-")
		if err != nil {
			buildErr = err
			return
		}
		builtBinary = filepath.Join(dir, "txsync")
		out, err := exec.Command("go", "build", "-o", builtBinary, "../../bootstrap/cmd/txsync").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBinary
}

func waitReady(t *testing.T, base string, output *servicetest.Buffer) {
	t.Helper()
	for range 100 {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("txsync not ready within 10 s:\n%s", output.String())
}

func newClientToken(t *testing.T, adminURL, base string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, adminURL+"/admin/clients", strings.NewReader(`{"merchant":"m1","name":"e2e"}`))
	req.Header.Set("Authorization", "Bearer admin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var client struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&client); err != nil {
		t.Fatalf("create client: %v", err)
	}

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client.ClientID}, "client_secret": {client.ClientSecret}}
	tokenResp, err := http.PostForm(base+"/tp/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer tokenResp.Body.Close()
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(tokenResp.Body).Decode(&token); err != nil || token.AccessToken == "" {
		t.Fatalf("token: status %d, %v", tokenResp.StatusCode, err)
	}
	return token.AccessToken
}

func keys(m map[string]*tracepb.Span) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
