package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

func TestRecordTransaction_originalExample(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")

	r := postPurchase(t, svc.PartnerAPI(), client.Token, originalExample)

	if r.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", r.Code, r.Raw)
	}
	if r.Status.Code != "200" || r.Status.Message != "success" {
		t.Errorf("status = %+v, want code 200 and message success", r.Status)
	}
	if id := r.Result.TransactionID; id <= 0 || id >= 1<<53 {
		t.Errorf("result.transaction_id = %d, want a positive integer below 2^53", id)
	}
	if !strings.HasPrefix(r.Raw, `{"status":{"code":"200","message":"success"},"result":{"transaction_id":`) {
		t.Errorf("body = %s, want the original envelope's members first and in order", r.Raw)
	}
	if r.Result.Replayed {
		t.Errorf("result.replayed = true on the first request")
	}
}

func TestRecordTransaction_retryReturnsSameID(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	first := postPurchase(t, app, client.Token, originalExample)
	// The same content in another spelling: 14.10 for 14.1, "3" for 3, 0.80 for 0.8, and
	// the phone number with its country code.
	respelled := strings.NewReplacer(
		`14.1`, `14.10`,
		`"identifier_type": 3`, `"identifier_type": "3"`,
		`0.8`, `0.80`,
		`"13592619028"`, `"+86 135-9261-9028"`,
		`"gender": 1`, `"gender": "male"`,
	).Replace(originalExample)
	for i, body := range []string{originalExample, respelled} {
		retry := postPurchase(t, app, client.Token, body)

		if retry.Code != http.StatusOK {
			t.Fatalf("retry %d: status = %d, want 200: %s", i, retry.Code, retry.Raw)
		}
		if retry.Result.TransactionID != first.Result.TransactionID {
			t.Errorf("retry %d: transaction_id = %d, want %d", i, retry.Result.TransactionID, first.Result.TransactionID)
		}
		if !retry.Result.Replayed {
			t.Errorf("retry %d: result.replayed = false, want true", i)
		}
		if got := retry.Header.Get("Idempotent-Replayed"); got != "true" {
			t.Errorf("retry %d: Idempotent-Replayed = %q, want true", i, got)
		}
	}
}

func TestRecordTransaction_changedContentConflicts(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	postPurchase(t, app, client.Token, originalExample)

	changed := strings.NewReplacer(`14.1`, `15`, `"ethan"`, `"eve"`).Replace(originalExample)
	r := postPurchase(t, app, client.Token, changed)

	if r.Code != http.StatusConflict {
		t.Fatalf("status = %d, want 409: %s", r.Code, r.Raw)
	}
	reasons := r.fieldReasons()
	for _, field := range []string{"purchase_amount", "customer_nick_name"} {
		if _, ok := reasons[field]; !ok {
			t.Errorf("errors = %v, want an entry for %s", r.Errors, field)
		}
	}
	if len(reasons) != 2 {
		t.Errorf("errors = %v, want exactly the 2 changed fields", r.Errors)
	}
}

func TestRecordTransaction_concurrentSameID(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	const requests = 50
	results := make([]response, requests)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			results[i] = postPurchase(t, app, client.Token, originalExample)
		})
	}
	wg.Wait()

	replays := 0
	for i, r := range results {
		if r.Code != http.StatusOK {
			t.Fatalf("request %d: status = %d, want 200: %s", i, r.Code, r.Raw)
		}
		if r.Result.TransactionID != results[0].Result.TransactionID {
			t.Errorf("request %d: transaction_id = %d, want %d like request 0",
				i, r.Result.TransactionID, results[0].Result.TransactionID)
		}
		if r.Result.Replayed {
			replays++
		}
	}
	if replays != requests-1 {
		t.Errorf("%d requests were replays, want %d: exactly one records the purchase", replays, requests-1)
	}
}

func TestRecordTransaction_phoneSpellingsOneCustomer(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	spellings := []string{"13592619028", "135 9261 9028", "+86 135-9261-9028", "008613592619028"}
	customers := make(map[string]bool)
	for i, phone := range spellings {
		body := fmt.Sprintf(`{"transaction_id":"t%d","customer_identifier":%q,"identifier_type":3,"purchase_amount":1}`, i, phone)
		r := postPurchase(t, app, client.Token, body)
		if r.Code != http.StatusOK {
			t.Fatalf("%q: status = %d, want 200: %s", phone, r.Code, r.Raw)
		}
		customers[r.Result.CustomerID] = true
	}
	if len(customers) != 1 {
		t.Errorf("the spellings %q reached %d customers, want 1", spellings, len(customers))
	}
}

func TestRecordTransaction_merchantsAreIsolated(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	app := svc.PartnerAPI()
	a := servicetest.NewClient(t, svc, "merchant-a")
	b := servicetest.NewClient(t, svc, "merchant-b")

	ra := postPurchase(t, app, a.Token, originalExample)
	rb := postPurchase(t, app, b.Token, originalExample)

	if ra.Code != http.StatusOK || rb.Code != http.StatusOK {
		t.Fatalf("statuses = %d and %d, want 200 for both: %s %s", ra.Code, rb.Code, ra.Raw, rb.Raw)
	}
	if rb.Result.Replayed {
		t.Errorf("merchant b's purchase was a replay of merchant a's")
	}
	if ra.Result.TransactionID == rb.Result.TransactionID {
		t.Errorf("both merchants got transaction_id %d, want distinct ids", ra.Result.TransactionID)
	}
	if ra.Result.CustomerID == rb.Result.CustomerID {
		t.Errorf("both merchants got customer %s, want one customer each", ra.Result.CustomerID)
	}
}

func TestRecordTransaction_disabledClientForbidden(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, map[string]string{"TXSYNC_CLIENT_REFRESH": "50ms"})
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	servicetest.Serve(t, svc) // runs the reload of disabled clients

	if err := svc.Access().DisableClient(t.Context(), client.ID); err != nil {
		t.Fatalf("disable client: %v", err)
	}

	var r response
	for range 100 {
		r = postPurchase(t, app, client.Token, originalExample)
		if r.Code == http.StatusForbidden {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r.Code != http.StatusForbidden {
		t.Fatalf("status = %d, want 403 within 5 s of disabling: %s", r.Code, r.Raw)
	}

	req := httptest.NewRequest(http.MethodPost, "/tp/oauth/token",
		strings.NewReader("grant_type=client_credentials&client_id="+client.ID+"&client_secret="+client.Secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token for a disabled client: status = %d, want 401", resp.StatusCode)
	}
}
