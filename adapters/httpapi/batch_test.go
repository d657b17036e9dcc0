package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// itemEnvelope is one item's result in a batch response.
type itemEnvelope struct {
	Status struct {
		Code string `json:"code"`
	} `json:"status"`
	Result struct {
		TransactionID int64 `json:"transaction_id"`
		Replayed      bool  `json:"replayed"`
	} `json:"result"`
	Errors []fieldError `json:"errors"`
}

func postBatch(t *testing.T, app *fiber.App, token, body string) (response, []itemEnvelope) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/tp/services/transactions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	r := do(t, app, req)
	var decoded struct {
		Result struct {
			Transactions []itemEnvelope `json:"transactions"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &decoded); err != nil {
		t.Fatal(err)
	}
	return r, decoded.Result.Transactions
}

func item(id string, amount string) string {
	return fmt.Sprintf(`{"transaction_id":%q,"customer_identifier":"oid-%s","identifier_type":1,"purchase_amount":%s}`, id, id, amount)
}

func TestRecordBatch_itemsInOrder(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	earlier := postPurchase(t, app, client.Token, item("old", "1"))

	items := []string{
		item("a", "1.5"),
		item("b", "-1"),  // broken
		item("a", "1.5"), // same id, same content: replay of the first item
		item("a", "2"),   // same id, other content: conflict
		item("old", "1"), // recorded before the batch
		`"not an object"`,
		item("c", "3"),
	}
	r, results := postBatch(t, app, client.Token, `{"transactions":[`+strings.Join(items, ",")+`]}`)

	if r.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", r.Code, r.Raw)
	}
	if len(results) != len(items) {
		t.Fatalf("%d results, want %d", len(results), len(items))
	}
	wantCodes := []string{"200", "400", "200", "409", "200", "400", "200"}
	for i, want := range wantCodes {
		if results[i].Status.Code != want {
			t.Errorf("item %d: status %s, want %s: %+v", i, results[i].Status.Code, want, results[i])
		}
	}
	if results[0].Result.Replayed || !results[2].Result.Replayed {
		t.Errorf("replayed = %t, %t for the two equal items, want false then true", results[0].Result.Replayed, results[2].Result.Replayed)
	}
	if results[2].Result.TransactionID != results[0].Result.TransactionID {
		t.Errorf("equal items got ids %d and %d, want one id", results[0].Result.TransactionID, results[2].Result.TransactionID)
	}
	if results[4].Result.TransactionID != earlier.Result.TransactionID || !results[4].Result.Replayed {
		t.Errorf("item 4 = %+v, want a replay of %d", results[4].Result, earlier.Result.TransactionID)
	}
	if len(results[1].Errors) != 1 || results[1].Errors[0].Field != "purchase_amount" {
		t.Errorf("item 1 errors = %v, want one on purchase_amount", results[1].Errors)
	}
	if len(results[3].Errors) != 1 || results[3].Errors[0].Field != "purchase_amount" {
		t.Errorf("item 3 errors = %v, want the differing purchase_amount", results[3].Errors)
	}
}

func TestRecordBatch_racesSingleRequests(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	const n = 40
	items := make([]string, n)
	for i := range items {
		items[i] = item(fmt.Sprint("r", i), "9.9")
	}
	var single [n]response
	var wg sync.WaitGroup
	var batch []itemEnvelope
	wg.Go(func() {
		_, batch = postBatch(t, app, client.Token, `{"transactions":[`+strings.Join(items, ",")+`]}`)
	})
	for i := range n {
		wg.Go(func() { single[i] = postPurchase(t, app, client.Token, items[i]) })
	}
	wg.Wait()

	for i := range n {
		if single[i].Code != http.StatusOK || batch[i].Status.Code != "200" {
			t.Fatalf("purchase %d: single %d, batch %s, want 200 for both", i, single[i].Code, batch[i].Status.Code)
		}
		if single[i].Result.TransactionID != batch[i].Result.TransactionID {
			t.Errorf("purchase %d: single id %d, batch id %d, want one id", i, single[i].Result.TransactionID, batch[i].Result.TransactionID)
		}
		if single[i].Result.Replayed == batch[i].Result.Replayed {
			t.Errorf("purchase %d: replayed %t on both paths, want exactly one to record it", i, single[i].Result.Replayed)
		}
	}
}

func TestRecordBatch_rejectsBodies(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	tooMany := strings.TrimSuffix(strings.Repeat(item("x", "1")+",", 501), ",")

	tests := map[string]struct {
		body string
		want int
	}{
		"array body":       {`[` + item("a", "1") + `]`, 400},
		"missing member":   {`{"items":[]}`, 400},
		"empty list":       {`{"transactions":[]}`, 400},
		"object, no array": {`{"transactions":{}}`, 400},
		"501 items":        {`{"transactions":[` + tooMany + `]}`, 400},
		"malformed JSON":   {`{"transactions":[`, 400},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, _ := postBatch(t, app, client.Token, tt.body)
			if r.Code != tt.want {
				t.Errorf("status = %d, want %d: %s", r.Code, tt.want, r.Raw)
			}
		})
	}
}

func TestRecordTransaction_dryRun(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	dryRun := func(body string) response {
		req := httptest.NewRequest(http.MethodPost, "/tp/services/transaction?dry_run=true", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+client.Token)
		return do(t, app, req)
	}
	outcome := func(r response) string {
		var body struct {
			Result struct {
				Outcome string `json:"outcome"`
				DryRun  bool   `json:"dry_run"`
			} `json:"result"`
		}
		_ = json.Unmarshal([]byte(r.Raw), &body)
		if !body.Result.DryRun {
			t.Errorf("result.dry_run is false: %s", r.Raw)
		}
		return body.Result.Outcome
	}

	if r := dryRun(originalExample); r.Code != http.StatusOK || outcome(r) != "new" {
		t.Errorf("before recording: status %d, outcome %q, want 200 new: %s", r.Code, outcome(r), r.Raw)
	}
	if r := dryRun(originalExample); !strings.Contains(r.Raw, `"customer_identifier":"+8613592619028"`) {
		t.Errorf("dry run = %s, want the normalized identifier", r.Raw)
	}
	if r := get(t, app, client.Token, "/tp/services/transaction", map[string][]string{"transaction_id": {"12345wefr23r"}}, nil); r.Code != http.StatusNotFound {
		t.Fatalf("a dry run stored the purchase: status %d", r.Code)
	}

	recorded := postPurchase(t, app, client.Token, originalExample)
	r := dryRun(originalExample)
	if r.Code != http.StatusOK || outcome(r) != "replay" || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("after recording: status %d, outcome %q, header %q, want 200 replay true",
			r.Code, outcome(r), r.Header.Get("Idempotent-Replayed"))
	}
	var replay struct {
		Result struct {
			Purchase struct {
				TransactionID int64 `json:"transaction_id"`
			} `json:"purchase"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &replay); err != nil {
		t.Fatal(err)
	}
	if got := replay.Result.Purchase.TransactionID; got != recorded.Result.TransactionID {
		t.Errorf("replay's purchase.transaction_id = %d, want the recorded %d", got, recorded.Result.TransactionID)
	}
	r = dryRun(strings.Replace(originalExample, "14.1", "15", 1))
	if r.Code != http.StatusConflict || outcome(r) != "conflict" {
		t.Errorf("changed content: status %d, outcome %q, want 409 conflict", r.Code, outcome(r))
	}
	if r := dryRun(`{"transaction_id":""}`); r.Code != http.StatusBadRequest {
		t.Errorf("invalid purchase: status %d, want 400", r.Code)
	}
}

// TestRecordBatch_dryRunRejected checks that the batch endpoint refuses dry_run rather than
// storing purchases the partner meant only to check.
func TestRecordBatch_dryRunRejected(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	req := httptest.NewRequest(http.MethodPost, "/tp/services/transactions?dry_run=true",
		strings.NewReader(`{"transactions":[`+item("dry-1", "1")+`]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+client.Token)
	r := do(t, app, req)

	if r.Code != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400: %s", r.Code, r.Raw)
	}
	if reason := r.fieldReasons()["dry_run"]; !strings.Contains(reason, "not supported") {
		t.Errorf("dry_run reason = %q, want it to say not supported", reason)
	}
	read := httptest.NewRequest(http.MethodGet, "/tp/services/transaction?transaction_id=dry-1", nil)
	read.Header.Set("Authorization", "Bearer "+client.Token)
	if got := do(t, app, read); got.Code != http.StatusNotFound {
		t.Errorf("read back dry-1: status %d, want 404 (nothing stored): %s", got.Code, got.Raw)
	}
}
