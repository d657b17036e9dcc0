package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// get sends an authenticated GET and decodes the envelope's result into result.
func get(t *testing.T, app *fiber.App, token, path string, query url.Values, result any) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path+"?"+query.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	r := do(t, app, req)
	if result != nil && r.Code == http.StatusOK {
		var body struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal([]byte(r.Raw), &body); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(body.Result, result); err != nil {
			t.Fatalf("decode result: %v: %s", err, body.Result)
		}
	}
	return r
}

type transactionResult struct {
	TransactionID        int64   `json:"transaction_id"`
	PartnerTransactionID string  `json:"partner_transaction_id"`
	CustomerID           string  `json:"customer_id"`
	CustomerIdentifier   string  `json:"customer_identifier"`
	PurchaseTime         string  `json:"purchase_time"`
	PurchaseAmount       float64 `json:"purchase_amount"`
	ReceivedAt           string  `json:"received_at"`
	Profile              struct {
		NickName string `json:"customer_nick_name"`
	} `json:"profile"`
}

func TestReadTransaction(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	other := servicetest.NewClient(t, svc, "m2")
	app := svc.PartnerAPI()
	recorded := postPurchase(t, app, client.Token, strings.Replace(originalExample, "12345wefr23r", "T/1 with slash", 1))

	var byPartner, byPlatform transactionResult
	r := get(t, app, client.Token, "/tp/services/transaction", url.Values{"transaction_id": {"T/1 with slash"}}, &byPartner)
	if r.Code != http.StatusOK {
		t.Fatalf("by partner id: status = %d: %s", r.Code, r.Raw)
	}
	if !strings.Contains(r.Raw, `"purchase_amount":14.10`) || !strings.Contains(r.Raw, `"coupon_amount":0.80`) {
		t.Errorf("body = %s, want amounts with two decimals", r.Raw)
	}
	want := transactionResult{
		TransactionID:        recorded.Result.TransactionID,
		PartnerTransactionID: "T/1 with slash",
		CustomerID:           recorded.Result.CustomerID,
		CustomerIdentifier:   "+8613592619028",
		PurchaseTime:         "2016-03-24 10:10:00",
		PurchaseAmount:       14.1,
	}
	want.Profile.NickName = "ethan"
	want.ReceivedAt = byPartner.ReceivedAt
	if byPartner != want {
		t.Errorf("by partner id = %+v, want %+v", byPartner, want)
	}
	if len(byPartner.ReceivedAt) != len("2006-01-02 15:04:05") {
		t.Errorf("received_at = %q, want yyyy-mm-dd HH:mm:ss", byPartner.ReceivedAt)
	}

	platformQuery := url.Values{"platform_transaction_id": {fmt.Sprint(recorded.Result.TransactionID)}}
	if r := get(t, app, client.Token, "/tp/services/transaction", platformQuery, &byPlatform); r.Code != http.StatusOK {
		t.Fatalf("by platform id: status = %d: %s", r.Code, r.Raw)
	}
	if byPlatform != byPartner {
		t.Errorf("by platform id = %+v, want %+v", byPlatform, byPartner)
	}

	// Another merchant gets 404, not 403, so it cannot probe for the data.
	for name, query := range map[string]url.Values{
		"partner id":  {"transaction_id": {"T/1 with slash"}},
		"platform id": platformQuery,
	} {
		if r := get(t, app, other.Token, "/tp/services/transaction", query, nil); r.Code != http.StatusNotFound {
			t.Errorf("other merchant by %s: status = %d, want 404: %s", name, r.Code, r.Raw)
		}
	}
}

func TestReadTransaction_badQueries(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	tests := map[string]struct {
		query url.Values
		want  int
		field string
	}{
		"neither id":          {url.Values{}, 400, "transaction_id"},
		"both ids":            {url.Values{"transaction_id": {"a"}, "platform_transaction_id": {"1"}}, 400, "transaction_id"},
		"platform id text":    {url.Values{"platform_transaction_id": {"abc"}}, 400, "platform_transaction_id"},
		"platform id zero":    {url.Values{"platform_transaction_id": {"0"}}, 400, "platform_transaction_id"},
		"unknown partner id":  {url.Values{"transaction_id": {"nope"}}, 404, ""},
		"unknown platform id": {url.Values{"platform_transaction_id": {"999999"}}, 404, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := get(t, app, client.Token, "/tp/services/transaction", tt.query, nil)
			if r.Code != tt.want {
				t.Fatalf("status = %d, want %d: %s", r.Code, tt.want, r.Raw)
			}
			if _, ok := r.fieldReasons()[tt.field]; tt.field != "" && !ok {
				t.Errorf("errors = %v, want one for %s", r.Errors, tt.field)
			}
		})
	}
}

func TestReadCustomer_profileAndTotals(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	other := servicetest.NewClient(t, svc, "m2")
	app := svc.PartnerAPI()

	// Sent out of order: the newest purchase_time decides each profile field.
	bodies := []string{
		`{"transaction_id":"a","customer_identifier":"135 9261 9028","identifier_type":3,"purchase_time":"2026-01-03 10:00:00","purchase_amount":10.5,"coupon_amount":1,"customer_nick_name":"newest","customer_city":"深圳"}`,
		`{"transaction_id":"b","customer_identifier":"13592619028","identifier_type":3,"purchase_time":"2026-01-01 10:00:00","purchase_amount":0.25,"customer_nick_name":"oldest","customer_province":"广东","gender":"female"}`,
		`{"transaction_id":"c","customer_identifier":"+86 13592619028","identifier_type":"3","purchase_time":"2026-01-02 10:00:00","purchase_amount":100,"wx_coupon_amount":0.3,"customer_nick_name":"middle"}`,
	}
	for _, body := range bodies {
		if r := postPurchase(t, app, client.Token, body); r.Code != http.StatusOK {
			t.Fatalf("post: status = %d: %s", r.Code, r.Raw)
		}
	}

	var got struct {
		CustomerIdentifier string `json:"customer_identifier"`
		Profile            struct {
			Gender   int    `json:"gender"`
			NickName string `json:"customer_nick_name"`
			Province string `json:"customer_province"`
			City     string `json:"customer_city"`
		} `json:"profile"`
		Totals struct {
			Count          int     `json:"transaction_count"`
			PurchaseAmount float64 `json:"purchase_amount"`
			CouponAmount   float64 `json:"coupon_amount"`
			WxCouponAmount float64 `json:"wx_coupon_amount"`
			First          string  `json:"first_purchase_time"`
			Last           string  `json:"last_purchase_time"`
		} `json:"totals"`
	}
	query := url.Values{"identifier_type": {"3"}, "customer_identifier": {"008613592619028"}}
	r := get(t, app, client.Token, "/tp/services/customer", query, &got)
	if r.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", r.Code, r.Raw)
	}

	if got.CustomerIdentifier != "+8613592619028" {
		t.Errorf("customer_identifier = %q, want +8613592619028", got.CustomerIdentifier)
	}
	if got.Profile.NickName != "newest" || got.Profile.City != "深圳" || got.Profile.Province != "广东" || got.Profile.Gender != 2 {
		t.Errorf("profile = %+v, want newest, 深圳, 广东, gender 2", got.Profile)
	}
	if got.Totals.Count != 3 || got.Totals.PurchaseAmount != 110.75 || got.Totals.CouponAmount != 1 || got.Totals.WxCouponAmount != 0.3 {
		t.Errorf("totals = %+v, want 3 purchases, 110.75, 1, 0.3", got.Totals)
	}
	if !strings.Contains(r.Raw, `"purchase_amount":110.75`) {
		t.Errorf("body = %s, want the total as 110.75", r.Raw)
	}
	if got.Totals.First != "2026-01-01 10:00:00" || got.Totals.Last != "2026-01-03 10:00:00" {
		t.Errorf("first, last = %q, %q, want 2026-01-01 and 2026-01-03 at 10:00", got.Totals.First, got.Totals.Last)
	}

	if r := get(t, app, other.Token, "/tp/services/customer", query, nil); r.Code != http.StatusNotFound {
		t.Errorf("other merchant: status = %d, want 404", r.Code)
	}
	bad := url.Values{"identifier_type": {"3"}, "customer_identifier": {"12"}}
	if r := get(t, app, client.Token, "/tp/services/customer", bad, nil); r.Code != http.StatusBadRequest {
		t.Errorf("invalid phone: status = %d, want 400", r.Code)
	}
}

func TestReadCustomerTransactions_pages(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	const purchases = 7
	var ids []int64
	for i := range purchases {
		body := fmt.Sprintf(`{"transaction_id":"p%d","customer_identifier":"oid","identifier_type":1,"purchase_amount":%d}`, i, i+1)
		r := postPurchase(t, app, client.Token, body)
		if r.Code != http.StatusOK {
			t.Fatalf("post: %s", r.Raw)
		}
		ids = append(ids, r.Result.TransactionID)
	}

	var seen []int64
	cursor := ""
	for page := 0; page < 10; page++ {
		query := url.Values{"identifier_type": {"1"}, "customer_identifier": {"oid"}, "limit": {"3"}}
		if cursor != "" {
			query.Set("cursor", cursor)
		}
		var got struct {
			Transactions []transactionResult `json:"transactions"`
			NextCursor   string              `json:"next_cursor"`
		}
		if r := get(t, app, client.Token, "/tp/services/customer/transactions", query, &got); r.Code != http.StatusOK {
			t.Fatalf("page %d: status = %d: %s", page, r.Code, r.Raw)
		}
		for _, tx := range got.Transactions {
			seen = append(seen, tx.TransactionID)
		}
		if got.NextCursor == "" {
			break
		}
		cursor = got.NextCursor
	}

	if len(seen) != purchases {
		t.Fatalf("listed %d purchases, want %d: %v", len(seen), purchases, seen)
	}
	for i, id := range seen {
		if want := ids[purchases-1-i]; id != want {
			t.Errorf("position %d: id %d, want %d (newest first)", i, id, want)
		}
	}

	for name, query := range map[string]url.Values{
		"limit too large": {"identifier_type": {"1"}, "customer_identifier": {"oid"}, "limit": {"201"}},
		"limit zero":      {"identifier_type": {"1"}, "customer_identifier": {"oid"}, "limit": {"0"}},
		"forged cursor":   {"identifier_type": {"1"}, "customer_identifier": {"oid"}, "cursor": {"bm90LWEtY3Vyc29y"}},
		"missing type":    {"customer_identifier": {"oid"}},
	} {
		if r := get(t, app, client.Token, "/tp/services/customer/transactions", query, nil); r.Code != http.StatusBadRequest {
			t.Errorf("%s: status = %d, want 400: %s", name, r.Code, r.Raw)
		}
	}
}
