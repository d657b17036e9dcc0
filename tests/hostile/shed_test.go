package hostile_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// batchBody returns a batch of n purchases whose transaction ids start with prefix.
func batchBody(prefix string, n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = purchaseBody(prefix + strconv.Itoa(i))
	}
	return `{"transactions":[` + strings.Join(items, ",") + `]}`
}

// TestShed_failedWritesReleaseTheirPlaces fills TXSYNC_MAX_IN_FLIGHT with one full batch
// after writes that fail in every way before or while they hold places, and after a client
// that hangs up mid-request. A place any of them kept would make the full batch a 503.
func TestShed_failedWritesReleaseTheirPlaces(t *testing.T) {
	t.Parallel()
	srv := serve(t, map[string]string{"TXSYNC_MAX_IN_FLIGHT": "500"})
	client := servicetest.NewClient(t, srv.svc, "m1")
	batchURL := srv.partnerURL + "/tp/services/transactions"
	post := func(path, authorization, contentType, body string) reply {
		return send(t, http.MethodPost, srv.partnerURL+path, authorization, contentType,
			[]byte(body))
	}
	bearer := "Bearer " + client.Token

	failures := []struct {
		name              string
		path, auth, ctype string
		body              string
		want              int
	}{
		{"invalid JSON batch", "/tp/services/transactions", bearer, "application/json",
			`{"transactions":[{"transaction_id":`, http.StatusBadRequest},
		{"501 purchases", "/tp/services/transactions", bearer, "application/json",
			batchBody("over-", 501), http.StatusBadRequest},
		{"no token", "/tp/services/transactions", "", "application/json",
			batchBody("anon-", 500), http.StatusUnauthorized},
		{"forged token", "/tp/services/transactions", "Bearer x.y.z", "application/json",
			batchBody("forged-", 500), http.StatusUnauthorized},
		{"text body", "/tp/services/transactions", bearer, "text/plain",
			batchBody("text-", 500), http.StatusUnsupportedMediaType},
		{"invalid purchase", "/tp/services/transaction", bearer, "application/json",
			`{"transaction_id":"bad"}`, http.StatusBadRequest},
		{"conflict", "/tp/services/transaction", bearer, "application/json",
			strings.Replace(purchaseBody("first-0"), "14.1", "15", 1), http.StatusConflict},
	}
	if r := post("/tp/services/transaction", bearer, "application/json",
		purchaseBody("first-0")); r.Code != http.StatusOK {
		t.Fatalf("first purchase: status = %d, want 200: %s", r.Code, r.Raw)
	}
	for _, f := range failures {
		for range 3 {
			r := post(f.path, f.auth, f.ctype, f.body)
			if r.Code != f.want {
				t.Errorf("%s: status = %d, want %d: %.300s", f.name, r.Code, f.want, r.Raw)
			}
		}
	}
	hangUpMidBatch(t, srv.partnerURL, client.Token)

	// The handler of the hung-up batch may still run; its places must come back soon.
	var last reply
	for attempt := range 30 {
		last = send(t, http.MethodPost, batchURL, bearer, "application/json",
			[]byte(batchBody(fmt.Sprint("full-", attempt, "-"), 500)))
		if last.Code != http.StatusServiceUnavailable {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last.Code != http.StatusOK {
		t.Fatalf("full batch after the failures: status = %d, want 200: %.300s",
			last.Code, last.Raw)
	}
}

// hangUpMidBatch sends a full batch on a raw connection and closes it before the reply.
func hangUpMidBatch(t *testing.T, partnerURL, token string) {
	t.Helper()
	conn := dialLoopback(t, partnerURL)
	body := batchBody("hangup-", 500)
	request := rawRequest(http.MethodPost, "/tp/services/transactions", hostOf(t, partnerURL),
		[]string{"Authorization: Bearer " + token, "Content-Type: application/json"}, body)
	if _, err := conn.Write(request); err != nil {
		t.Fatalf("write batch: %v", err)
	}
	if err := conn.Close(); err != nil {
		t.Fatalf("hang up: %v", err)
	}
}
