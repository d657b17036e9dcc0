package bootstrap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/txsync/txsync/adapters/embeddedstore"
	"github.com/txsync/txsync/adapters/partnerapi"
	"github.com/txsync/txsync/bootstrap"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

func TestReplay_summary(t *testing.T) {
	t.Parallel()

	server := startTxsync(t, nil)
	recorded := `{"transaction_id":"T-old","customer_identifier":"o-1","identifier_type":1,` +
		`"purchase_amount":5}`
	client := partnerapi.New(server.baseURL, server.clientID, server.secret, nil)
	if resp, err := client.Record(t.Context(), []byte(recorded)); err != nil || resp.Status != 200 {
		t.Fatalf("record T-old before the replay: got status %d error %v, want 200", resp.Status, err)
	}

	file := writeLines(t,
		purchaseLine("T-1", "o-1", "10.50"),
		"",
		purchaseLine("T-2", "o-2", "3")+"\r", // a CRLF line ending
		"   ",
		purchaseLine("T-dup", "o-3", "1"),
		purchaseLine("T-dup", "o-3", "1.00"), // same content after normalization
		recorded,
		strings.Replace(recorded, `"purchase_amount":5`, `"purchase_amount":6`, 1),
		`{"transaction_id":"T-bad","identifier_type":1,"purchase_amount":-2}`,
		`not json`,
	)

	code, stdout, stderr := runReplay(t, server, "--file", file, "--json", "--concurrency", "3")
	if code != 0 {
		t.Fatalf("exit code %d, want 0 (rejections are no failure)\nstderr: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr = %q, want nothing when stderr is not a terminal", stderr)
	}
	var got partnerapi.Summary
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("decode summary: %v\n%s", err, stdout)
	}

	wantCounts := partnerapi.Counts{Lines: 8, Accepted: 3, Replayed: 2, Rejected: 3}
	if got.Counts != wantCounts {
		t.Errorf("counts:\n got %+v\nwant %+v", got.Counts, wantCounts)
	}
	wantStatus := map[int]int{400: 2, 409: 1}
	if !maps.Equal(got.RejectedByStatus, wantStatus) {
		t.Errorf("rejected_by_status = %v, want %v", got.RejectedByStatus, wantStatus)
	}
	byField := map[string]int{}
	for _, fc := range got.RejectedByField {
		reason := fc.Reason
		if fc.Field == "body" && strings.HasPrefix(reason, "is not valid JSON") {
			reason = "is not valid JSON"
		}
		byField[fc.Field+" "+reason] += fc.Count
	}
	wantFields := map[string]int{
		"purchase_amount differs from the recorded purchase": 1,
		"purchase_amount must not be negative":               1,
		"customer_identifier is required":                    1,
		"body is not valid JSON":                             1,
	}
	if !maps.Equal(byField, wantFields) {
		t.Errorf("rejected_by_field:\n got %v\nwant %v", byField, wantFields)
	}
}

func TestReplay_textSummary(t *testing.T) {
	t.Parallel()

	server := startTxsync(t, nil)
	file := writeLines(t, purchaseLine("T-1", "o-1", "1"), purchaseLine("T-2", "o-2", "-1"))

	code, stdout, stderr := runReplay(t, server, "--file", file)
	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstderr: %s", code, stderr)
	}
	for _, want := range []string{
		"lines read                2\n",
		"accepted (new)            1\n",
		"rejected                  1\n",
		"failed (network)          0\n",
		"  400 Bad Request: 1\n",
		"  purchase_amount must not be negative: 1\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

func TestReplay_concurrency(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name        string
		args        []string
		wantMaximum int
	}{
		{"one at a time", []string{"--concurrency", "1"}, 1},
		{"four at once", []string{"--concurrency", "4"}, 4},
		{"default", nil, partnerapi.DefaultConcurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			server := startTxsync(t, nil)
			proxy := newObservingProxy(t, server.baseURL)
			proxy.delay = 20 * time.Millisecond // lets posts overlap when they can
			const lines = 40
			purchases := make([]string, lines)
			for i := range purchases {
				purchases[i] = purchaseLine(fmt.Sprintf("T-%d", i), fmt.Sprintf("o-%d", i%7), "2.50")
			}
			file := writeLines(t, purchases...)

			args := append([]string{"--file", file, "--json"}, tt.args...)
			code, stdout, stderr := runReplay(t, txsyncAt(server, proxy.URL), args...)
			if code != 0 {
				t.Fatalf("exit code %d, want 0\nstderr: %s", code, stderr)
			}
			var summary partnerapi.Summary
			if err := json.Unmarshal([]byte(stdout), &summary); err != nil {
				t.Fatalf("decode summary: %v", err)
			}
			if summary.Accepted != lines {
				t.Errorf("accepted = %d, want %d", summary.Accepted, lines)
			}
			if got := proxy.maximumInFlight(); got != tt.wantMaximum {
				t.Errorf("maximum posts in flight = %d, want %d", got, tt.wantMaximum)
			}
			if got := proxy.tokenRequests(); got != 1 {
				t.Errorf("token requests = %d, want 1 shared by all posts", got)
			}
		})
	}
}

// TestReplay_retriesWhileStoreRestarts stops txsync's store while the first purchase is
// on its way, so txsync responds with a 503 and Retry-After, and starts the store again
// before that response reaches the replay.
func TestReplay_retriesWhileStoreRestarts(t *testing.T) {
	t.Parallel()

	storeDir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	store, err := embeddedstore.Start(t.Context(), storeDir, "127.0.0.1:0", logger)
	if err != nil {
		t.Fatal(err)
	}
	storeURL, err := url.Parse(store.URI())
	if err != nil {
		t.Fatal(err)
	}
	var storeMu sync.Mutex // guards store, which the proxy replaces
	t.Cleanup(func() {
		storeMu.Lock()
		defer storeMu.Unlock()
		if err := store.Stop(context.Background()); err != nil {
			t.Errorf("stop store: %v", err)
		}
	})

	server := startTxsync(t, map[string]string{
		"TXSYNC_MONGODB_URI":   store.URI(),
		"TXSYNC_STORE_TIMEOUT": "300ms",
	})
	proxy := newObservingProxy(t, server.baseURL)
	proxy.beforeFirstPost = func() {
		storeMu.Lock()
		defer storeMu.Unlock()
		if err := store.Stop(context.Background()); err != nil {
			t.Errorf("stop store: %v", err)
		}
	}
	proxy.afterFirstPost = func(status int) {
		if status != http.StatusServiceUnavailable {
			t.Errorf("first post with the store stopped: status %d, want 503", status)
		}
		storeMu.Lock()
		defer storeMu.Unlock()
		store, err = embeddedstore.Start(context.Background(), storeDir, storeURL.Host, logger)
		if err != nil {
			t.Errorf("start store again on %s: %v", storeURL.Host, err)
		}
	}
	file := writeLines(t, purchaseLine("T-1", "o-1", "12.30"))

	code, stdout, stderr := runReplay(t, txsyncAt(server, proxy.URL), "--file", file, "--json")
	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstderr: %s", code, stderr)
	}
	var summary partnerapi.Summary
	if err := json.Unmarshal([]byte(stdout), &summary); err != nil {
		t.Fatalf("decode summary: %v", err)
	}
	if summary.Accepted != 1 || summary.Rejected != 0 {
		t.Errorf("accepted %d rejected %d, want the purchase accepted after a retry\n%s",
			summary.Accepted, summary.Rejected, stdout)
	}
	if summary.Retries < 1 {
		t.Errorf("retries = %d, want at least 1", summary.Retries)
	}
}

func TestReplay_stopsWhenServiceUnreachable(t *testing.T) {
	t.Parallel()

	server := startTxsync(t, nil)
	proxy := newObservingProxy(t, server.baseURL)
	proxy.dropFrom = 4
	purchases := make([]string, 20)
	for i := range purchases {
		purchases[i] = purchaseLine(fmt.Sprintf("T-%d", i), "o-1", "1")
	}
	file := writeLines(t, purchases...)

	code, stdout, stderr := runReplay(t, txsyncAt(server, proxy.URL),
		"--file", file, "--json", "--concurrency", "1")
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	for _, want := range []string{"line 4: ", "unreachable", "Run it again"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	var summary partnerapi.Summary
	if err := json.Unmarshal([]byte(stdout), &summary); err != nil {
		t.Fatalf("decode summary: %v\n%s", err, stdout)
	}
	want := partnerapi.Counts{Lines: 4, Accepted: 3, Failed: 1}
	if summary.Counts != want {
		t.Errorf("counts:\n got %+v\nwant %+v", summary.Counts, want)
	}
}

func TestReplay_exitCodes(t *testing.T) {
	t.Parallel()

	server := startTxsync(t, nil)
	file := writeLines(t, purchaseLine("T-1", "o-1", "1"))
	unreachable := closedAddress(t)

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"missing flags", []string{"replay"}, 1, "--file is required"},
		{"zero concurrency", replayArgs(server, "--file", file, "--concurrency", "0"), 1,
			"--concurrency must be 1 to 256"},
		{"URL without scheme", []string{"replay", "--file", file, "--url", "127.0.0.1:1",
			"--client-id", "i", "--client-secret", "s"}, 1, "--url must be an http or https URL"},
		{"missing file", replayArgs(server, "--file", filepath.Join(t.TempDir(), "none")), 1,
			"open purchases"},
		{"help", []string{"replay", "-h"}, 2, "-concurrency"},
		{"wrong secret", []string{"replay", "--file", file, "--url", server.baseURL,
			"--client-id", server.clientID, "--client-secret", "wrong"}, 1,
			"rejected the client credentials"},
		{"service unreachable", []string{"replay", "--file", file, "--url", unreachable,
			"--client-id", "i", "--client-secret", "s"}, 1, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			var stdout, stderr bytes.Buffer
			code := bootstrap.Main(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstderr: %s", code, tt.wantCode, &stderr)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, &stderr)
			}
		})
	}
}

// txsync is a txsync built in process with one partner client.
type txsync struct {
	baseURL  string
	clientID string
	secret   string
}

// txsyncAt returns server reached through baseURL, such as a proxy in front of it.
func txsyncAt(server txsync, baseURL string) txsync {
	server.baseURL = baseURL
	return server
}

// startTxsync builds txsync through bootstrap.New, with the embedded store in a temporary
// folder unless env names another, serves it on 127.0.0.1 and creates one partner client.
// Everything stops in cleanup. The store timeout is long unless env sets it, so that a
// slow run, such as one with the race detector, gets no 503 that would add retries.
func startTxsync(t *testing.T, env map[string]string) txsync {
	t.Helper()

	variables := map[string]string{"TXSYNC_STORE_TIMEOUT": "10s"}
	maps.Copy(variables, env)
	svc := servicetest.New(t, variables)
	partnerURL, _ := servicetest.Serve(t, svc)
	client := servicetest.NewClient(t, svc, "m1")
	return txsync{baseURL: partnerURL, clientID: client.ID, secret: client.Secret}
}

func replayArgs(server txsync, args ...string) []string {
	return append([]string{"replay", "--url", server.baseURL,
		"--client-id", server.clientID, "--client-secret", server.secret}, args...)
}

// runReplay runs txsync replay against server and returns its exit code and output.
func runReplay(t *testing.T, server txsync, args ...string) (int, string, string) {
	t.Helper()

	var stdout, stderr bytes.Buffer
	code := bootstrap.Main(replayArgs(server, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func purchaseLine(transactionID, customer, amount string) string {
	return fmt.Sprintf(`{"transaction_id":%q,"customer_identifier":%q,"identifier_type":1,`+
		`"purchase_amount":%s}`, transactionID, customer, amount)
}

// writeLines writes lines into a temporary file, each ended by a line feed.
func writeLines(t *testing.T, lines ...string) string {
	t.Helper()

	path := filepath.Join(t.TempDir(), "purchases.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// closedAddress returns the URL of a loopback port that nothing listens on.
func closedAddress(t *testing.T) string {
	t.Helper()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// observingProxy forwards requests to txsync, counts token requests and the transaction
// posts in flight, and can delay posts or run hooks around the first one.
type observingProxy struct {
	*httptest.Server

	// delay holds each post before it is forwarded.
	delay time.Duration
	// dropFrom, when positive, is the number of the first post whose connection the proxy
	// closes without a response, as an unreachable server would. Every later post and
	// retry is dropped too.
	dropFrom int
	// beforeFirstPost runs before the first post is forwarded. afterFirstPost gets the
	// status of txsync's response to it before the response goes back.
	beforeFirstPost func()
	afterFirstPost  func(status int)

	mu       sync.Mutex
	tokens   int
	posts    int
	inFlight int
	maximum  int
}

func newObservingProxy(t *testing.T, target string) *observingProxy {
	t.Helper()

	targetURL, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &observingProxy{}
	forward := httputil.NewSingleHostReverseProxy(targetURL)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tp/services/transaction" {
			p.countToken(r)
			forward.ServeHTTP(w, r)
			return
		}
		number := p.enter()
		defer p.leave()
		time.Sleep(p.delay)
		if p.dropFrom > 0 && number >= p.dropFrom {
			dropConnection(t, w)
			return
		}
		first := number == 1
		if first && p.beforeFirstPost != nil {
			p.beforeFirstPost()
		}
		if !first || p.afterFirstPost == nil {
			forward.ServeHTTP(w, r)
			return
		}
		recorder := httptest.NewRecorder()
		forward.ServeHTTP(recorder, r)
		p.afterFirstPost(recorder.Code)
		maps.Copy(w.Header(), recorder.Header())
		w.WriteHeader(recorder.Code)
		_, _ = w.Write(recorder.Body.Bytes()) // a failed write shows as a client error
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *observingProxy) countToken(r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.URL.Path == "/tp/oauth/token" {
		p.tokens++
	}
}

// enter counts a post in flight and returns its number, the first post being 1.
func (p *observingProxy) enter() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts++
	p.inFlight++
	p.maximum = max(p.maximum, p.inFlight)
	return p.posts
}

// dropConnection closes the connection of w without writing a response.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack connection: %v", err)
		return
	}
	if err := conn.Close(); err != nil {
		t.Errorf("close hijacked connection: %v", err)
	}
}

func (p *observingProxy) leave() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
}

func (p *observingProxy) maximumInFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maximum
}

func (p *observingProxy) tokenRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens
}
