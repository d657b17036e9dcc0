package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/txsync/txsync/bootstrap/servicetest"
	"github.com/txsync/txsync/domain/partner"
)

// slowLimits gives every client a bucket of 3 that refills one unit every 100 s, so a test
// drains it and nothing flows back while it runs.
var slowLimits = map[string]string{"TXSYNC_RATE_LIMIT": "0.01", "TXSYNC_RATE_BURST": "3"}

func TestRateLimit_perClient(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, slowLimits)
	flooder := servicetest.NewClient(t, svc, "m1")
	bystander := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	for i, wantRemaining := range []string{"2", "1", "0"} {
		r := postPurchase(t, app, flooder.Token, fmt.Sprintf(`{%s,"transaction_id":"t%d"}`, valid[strings.Index(valid, ",")+1:], i))
		if r.Code != http.StatusOK {
			t.Fatalf("request %d: status = %d, want 200: %s", i, r.Code, r.Raw)
		}
		if got := r.Header.Get("RateLimit-Remaining"); got != wantRemaining {
			t.Errorf("request %d: RateLimit-Remaining = %q, want %s", i, got, wantRemaining)
		}
		if got := r.Header.Get("RateLimit-Limit"); got != "3" {
			t.Errorf("request %d: RateLimit-Limit = %q, want 3", i, got)
		}
	}

	// The limit holds across routes.
	r := get(t, app, flooder.Token, "/tp/services/transaction", url.Values{"transaction_id": {"t0"}}, nil)
	if r.Code != http.StatusTooManyRequests {
		t.Fatalf("fourth request: status = %d, want 429: %s", r.Code, r.Raw)
	}
	if got := r.Header.Get("Retry-After"); got != "100" {
		t.Errorf("Retry-After = %q, want 100 (one unit at 0.01 per second)", got)
	}
	if got := r.Header.Get("RateLimit-Reset"); got != "300" {
		t.Errorf("RateLimit-Reset = %q, want 300", got)
	}

	// Another client keeps its own bucket.
	if r := postPurchase(t, app, bystander.Token, `{`+valid+`}`); r.Code != http.StatusOK {
		t.Errorf("other client: status = %d, want 200", r.Code)
	}
}

func TestRateLimit_batchCostsOnePerItem(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, slowLimits)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	r, _ := postBatch(t, app, client.Token, `{"transactions":[`+item("a", "1")+`,`+item("b", "1")+`]}`)
	if r.Code != http.StatusOK || r.Header.Get("RateLimit-Remaining") != "1" {
		t.Fatalf("batch of 2: status %d, remaining %q, want 200 and 1", r.Code, r.Header.Get("RateLimit-Remaining"))
	}
	r, _ = postBatch(t, app, client.Token, `{"transactions":[`+item("c", "1")+`,`+item("d", "1")+`]}`)
	if r.Code != http.StatusTooManyRequests {
		t.Errorf("second batch of 2 with 1 unit left: status = %d, want 429", r.Code)
	}
}

func TestRateLimit_overrideAppliesAfterReload(t *testing.T) {
	t.Parallel()
	env := map[string]string{"TXSYNC_RATE_LIMIT": "0.01", "TXSYNC_RATE_BURST": "3", "TXSYNC_CLIENT_REFRESH": "50ms"}
	svc := servicetest.New(t, env)
	client := servicetest.NewClient(t, svc, "m1")
	servicetest.Serve(t, svc) // runs the reload of client policies
	app := svc.PartnerAPI()

	if err := svc.Access().SetRateLimit(t.Context(), client.ID, partner.RateLimit{PerSecond: 0.01, Burst: 50}); err != nil {
		t.Fatal(err)
	}
	var limit string
	for range 100 {
		r := get(t, app, client.Token, "/tp/services/transaction", url.Values{"transaction_id": {"x"}}, nil)
		if limit = r.Header.Get("RateLimit-Limit"); limit == "50" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if limit != "50" {
		t.Errorf("RateLimit-Limit = %q, want 50 within 5 s of the override", limit)
	}
}

func TestRateLimit_tokenRequests(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1") // one token request already
	app := svc.PartnerAPI()

	var last int
	for range 12 {
		req := httptest.NewRequest(http.MethodPost, "/tp/oauth/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(client.ID, "guessed-secret")
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("RateLimit-Limit") != "20" {
			t.Errorf("token response RateLimit-Limit = %q, want 20 (the address's bucket)", resp.Header.Get("RateLimit-Limit"))
		}
		last = resp.StatusCode
		if last == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			break
		}
		if last != http.StatusUnauthorized {
			t.Fatalf("guess: status = %d, want 401", last)
		}
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("12 quick guesses for one client: last status = %d, want 429", last)
	}
}
