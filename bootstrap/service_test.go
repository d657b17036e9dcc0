package bootstrap_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/txsync/txsync/adapters/embeddedstore"
	"github.com/txsync/txsync/bootstrap"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

const purchase = `{"transaction_id":"T-1","customer_identifier":"openid-1","identifier_type":1,"purchase_amount":9.9}`

type result struct {
	code          int
	retryAfter    string
	transactionID int64
	raw           string
}

func post(t *testing.T, app *fiber.App, token string) result {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/tp/services/transaction", strings.NewReader(purchase))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("post purchase: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body struct {
		Result struct {
			TransactionID int64 `json:"transaction_id"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, raw)
	}
	return result{resp.StatusCode, resp.Header.Get("Retry-After"), body.Result.TransactionID, string(raw)}
}

func TestService_retryAfterRestartReturnsSameID(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	env := map[string]string{"TXSYNC_DATA_DIR": dataDir}

	first := servicetest.New(t, env)
	client := servicetest.NewClient(t, first, "m1")
	before := post(t, first.PartnerAPI(), client.Token)
	if err := first.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}

	second := servicetest.New(t, env)
	after := post(t, second.PartnerAPI(), client.Token)

	if before.code != http.StatusOK || after.code != http.StatusOK {
		t.Fatalf("statuses = %d, %d, want 200 twice: %s %s", before.code, after.code, before.raw, after.raw)
	}
	if after.transactionID != before.transactionID {
		t.Errorf("transaction_id after restart = %d, want %d", after.transactionID, before.transactionID)
	}
}

func TestService_storeOutageAnswers503ThenRecovers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storeDir := t.TempDir()
	addr := servicetest.FreeAddr(t)
	logger := slog.New(slog.DiscardHandler)
	store, err := embeddedstore.Start(ctx, storeDir, addr, logger)
	if err != nil {
		t.Fatalf("start store: %v", err)
	}
	t.Cleanup(func() { _ = store.Stop(ctx) }) // a second Stop after the test's own is harmless

	recorder := tracetest.NewSpanRecorder()
	svc := servicetest.New(t, map[string]string{
		"TXSYNC_MONGODB_URI":   store.URI(),
		"TXSYNC_STORE_TIMEOUT": "1s",
	}, bootstrap.WithSpanProcessor(recorder))
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	if r := post(t, app, client.Token); r.code != http.StatusOK {
		t.Fatalf("before the outage: status = %d, want 200: %s", r.code, r.raw)
	}

	if err := store.Stop(ctx); err != nil {
		t.Fatalf("stop store: %v", err)
	}
	start := time.Now()
	down := post(t, app, client.Token)
	elapsed := time.Since(start)

	if down.code != http.StatusServiceUnavailable {
		t.Fatalf("during the outage: status = %d, want 503: %s", down.code, down.raw)
	}
	if down.retryAfter == "" {
		t.Errorf("503 without Retry-After")
	}
	t.Logf("the 503 came after %s", elapsed)

	store, err = embeddedstore.Start(ctx, storeDir, addr, logger)
	if err != nil {
		t.Fatalf("restart store: %v", err)
	}
	var up result
	for range 50 {
		if up = post(t, app, client.Token); up.code == http.StatusOK {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if up.code != http.StatusOK {
		t.Fatalf("after the outage: status = %d, want 200 within 10 s: %s", up.code, up.raw)
	}

	// The outage and the reconnect are traces of their own.
	var kinds []string
	for _, span := range recorder.Ended() {
		if span.Name() != "StoreServerChanged" {
			continue
		}
		if span.Parent().IsValid() {
			t.Errorf("StoreServerChanged has a parent, want a root span")
		}
		for _, a := range span.Attributes() {
			if a.Key == "txsync.store.kind" {
				kinds = append(kinds, a.Value.AsString())
			}
		}
	}
	// The first change is the connection at start; the outage and the return follow.
	lost := slices.Index(kinds, "Unknown")
	if lost < 0 || lost == len(kinds)-1 {
		t.Errorf("StoreServerChanged kinds = %v, want Unknown followed by a reachable kind", kinds)
	}
}

func TestService_generatesPrivateAdminToken(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	env := map[string]string{"TXSYNC_DATA_DIR": dataDir, "TXSYNC_ADMIN_TOKEN": ""}

	first := servicetest.New(t, env)
	info, err := os.Stat(filepath.Join(dataDir, "admin-token"))
	if err != nil {
		t.Fatalf("admin token file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("admin token file mode = %o, want 600", mode)
	}
	if len(first.AdminToken()) < 32 {
		t.Errorf("generated admin token has %d characters, want at least 32", len(first.AdminToken()))
	}
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	second := servicetest.New(t, env)
	if second.AdminToken() != first.AdminToken() {
		t.Errorf("a restart generated a new admin token, want the stored one")
	}
}
