package hostile_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/bootstrap"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

// exchange sends one request to app in process and returns the status and body.
func exchange(t *testing.T, app *fiber.App, method, target, token, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read reply of %s %s: %v", method, target, err)
	}
	return resp.StatusCode, string(raw)
}

// TestRestart_sameDataFolderKeepsLookups starts txsync on one data folder several times,
// as an operator restarting it does, so the _id index of the embedded store is created on
// a fresh folder and found again on later starts. Each start must still read back, replay
// and judge conflicts of the purchases of every earlier start.
func TestRestart_sameDataFolderKeepsLookups(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const starts = 4
	for start := range starts {
		cfg, err := bootstrap.LoadConfigFrom(map[string]string{
			"TXSYNC_DATA_DIR": dir, "TXSYNC_BCRYPT_COST": "4",
			"TXSYNC_ADMIN_TOKEN": "test-admin-token", "TXSYNC_STORE_TIMEOUT": "10s",
		})
		if err != nil {
			t.Fatalf("start %d: load configuration: %v", start, err)
		}
		svc, err := bootstrap.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("start %d: %v", start, err)
		}
		client := servicetest.NewClient(t, svc, "m1")
		app := svc.PartnerAPI()

		code, body := exchange(t, app, http.MethodPost, "/tp/services/transaction",
			client.Token, purchaseBody("restart-"+strconv.Itoa(start)))
		if code != http.StatusOK {
			t.Errorf("start %d: new purchase: status = %d, want 200: %s", start, code, body)
		}
		for earlier := range start + 1 {
			id := "restart-" + strconv.Itoa(earlier)
			// Each start has its own client, so an earlier start's purchase is new to it
			// and the replay check runs on this start's own purchase.
			code, body = exchange(t, app, http.MethodGet,
				"/tp/services/transaction?transaction_id="+id, client.Token, "")
			wantRead := http.StatusNotFound
			if earlier == start {
				wantRead = http.StatusOK
			}
			if code != wantRead {
				t.Errorf("start %d: read %s: status = %d, want %d: %s",
					start, id, code, wantRead, body)
			}
		}
		code, body = exchange(t, app, http.MethodPost, "/tp/services/transaction",
			client.Token, purchaseBody("restart-"+strconv.Itoa(start)))
		if code != http.StatusOK || !strings.Contains(body, `"replayed":true`) {
			t.Errorf("start %d: replay: status = %d, want 200 replayed: %s", start, code, body)
		}
		code, body = exchange(t, app, http.MethodPost, "/tp/services/transaction",
			client.Token, strings.Replace(purchaseBody("restart-"+strconv.Itoa(start)),
				"14.1", "15", 1))
		if code != http.StatusConflict {
			t.Errorf("start %d: conflict: status = %d, want 409: %s", start, code, body)
		}
		code, body = exchange(t, app, http.MethodGet,
			"/tp/services/customer?identifier_type=3&customer_identifier=13592619028",
			client.Token, "")
		want := `"transaction_count":` + strconv.Itoa(start+1)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("start %d: customer: status = %d, want 200 with %s: %s",
				start, code, want, body)
		}

		if err := svc.Close(context.Background()); err != nil {
			t.Fatalf("start %d: close: %v", start, err)
		}
	}
}
