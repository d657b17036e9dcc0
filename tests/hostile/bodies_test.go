package hostile_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// maxDecodeTime bounds the response time to one hostile body. It is a defence against bodies that
// make the decoder work for seconds, not a benchmark, so it is generous.
const maxDecodeTime = 2 * time.Second

// minimal is a valid purchase without its closing brace, so cases can add members.
const minimal = `{"transaction_id":"T-1","customer_identifier":"openid-1","identifier_type":1,` +
	`"purchase_amount":9.9`

// withMember returns minimal with name set to the raw JSON value, replacing a member
// minimal has already.
func withMember(name, value string) string {
	var members []string
	for member := range strings.SplitSeq(strings.TrimPrefix(minimal, "{"), ",") {
		if !strings.HasPrefix(member, `"`+name+`":`) {
			members = append(members, member)
		}
	}
	return "{" + strings.Join(append(members, fmt.Sprintf("%q:%s", name, value)), ",") + "}"
}

// timedPost posts body to path and fails the test when the response takes maxDecodeTime
// or longer.
func timedPost(t *testing.T, partnerURL, path, token, body string) reply {
	t.Helper()
	start := time.Now()
	r := send(t, http.MethodPost, partnerURL+path, "Bearer "+token, "application/json", []byte(body))
	elapsed := time.Since(start)
	t.Logf("%d bytes got %d in %v", len(body), r.Code, elapsed.Round(time.Microsecond))
	if elapsed >= maxDecodeTime {
		t.Errorf("response took %v, want under %v", elapsed, maxDecodeTime)
	}
	return r
}

func TestBodies_deepAndHugeValuesGet400(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	client := servicetest.NewClient(t, srv.svc, "m1")
	// 60 000 bytes keep the body under the 64 KiB limit, so it reaches the decoder.
	const n = 60_000
	digits := "9" + strings.Repeat("0", n-1)

	tests := []struct {
		name string
		body string
		// field must be among the fields of the 400.
		field string
	}{
		{"nested arrays as the body", strings.Repeat("[", n), "body"},
		{"nested arrays after the body", minimal + "}" + strings.Repeat("[", n), "body"},
		{"nested arrays as amount", withMember("purchase_amount", strings.Repeat("[", n)),
			"purchase_amount"},
		{"nested objects in an unknown member", withMember("extra", strings.Repeat(`{"a":`, n/5)),
			"extra"},
		{"closed nested arrays as amount", withMember("purchase_amount",
			strings.Repeat("[", n/2-100)+strings.Repeat("]", n/2-100)), "purchase_amount"},
		{"amount 1e999999", withMember("purchase_amount", "1e999999"), "purchase_amount"},
		{"amount with 60000 digits", withMember("purchase_amount", digits), "purchase_amount"},
		{"amount with a 60000-digit exponent", withMember("purchase_amount", "1e"+digits),
			"purchase_amount"},
		{"amount with 60000 decimals", withMember("coupon_amount", "1."+strings.Repeat("1", n)),
			"coupon_amount"},
		{"coupon detail id 1e999999", withMember("coupon_detail_id", "1e999999"), "coupon_detail_id"},
		{"coupon detail id with 60000 digits", withMember("coupon_detail_id", digits),
			"coupon_detail_id"},
		{"coupon detail id as a string of 60000 digits", withMember("coupon_detail_id",
			`"`+digits+`"`), "coupon_detail_id"},
		{"transaction id 1e999999", withMember("transaction_id", "1e999999"), "transaction_id"},
		{"transaction id with 60000 digits", withMember("transaction_id", digits), "transaction_id"},
		{"identifier type with 60000 digits", withMember("identifier_type", digits),
			"identifier_type"},
		{"gender 1e999999", withMember("gender", "1e999999"), "gender"},
		{"identifier of 60000 characters", withMember("customer_identifier",
			`"`+strings.Repeat("x", n)+`"`), "customer_identifier"},
		{"identifier of 10000 escapes", withMember("customer_identifier",
			`"`+strings.Repeat(`\u4e2d`, 10_000)+`"`), "customer_identifier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := timedPost(t, srv.partnerURL, "/tp/services/transaction", client.Token, tt.body)

			if r.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %.300s", r.Code, r.Raw)
			}
			if !slices.Contains(r.fields(), tt.field) {
				t.Errorf("fields = %v, want %s among them", r.fields(), tt.field)
			}
		})
	}
	t.Cleanup(func() { checkStillServing(t, srv.partnerURL, client.Token) })
}

func TestBodies_over64KiBGet413(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	client := servicetest.NewClient(t, srv.svc, "m1")
	const n = 100_000

	for name, body := range map[string]string{
		"100000 nested arrays":             strings.Repeat("[", n),
		"amount with 100000 digits":        withMember("purchase_amount", "1"+strings.Repeat("0", n)),
		"coupon detail id, 100000 digits":  withMember("coupon_detail_id", "1"+strings.Repeat("0", n)),
		"transaction id with 100000 digit": withMember("transaction_id", "1"+strings.Repeat("0", n)),
	} {
		r := timedPost(t, srv.partnerURL, "/tp/services/transaction", client.Token, body)
		if r.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status = %d, want 413: %.300s", name, r.Code, r.Raw)
		}
	}
	checkStillServing(t, srv.partnerURL, client.Token)
}

// batchItem is one item envelope of a batch reply.
type batchItem struct {
	Status struct {
		Code string `json:"code"`
	} `json:"status"`
	Errors []fieldError `json:"errors"`
}

// batchItems decodes the item envelopes of a 200 batch reply.
func batchItems(t *testing.T, r reply) []batchItem {
	t.Helper()
	if r.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200: %.300s", r.Code, r.Raw)
	}
	var result struct {
		Transactions []batchItem `json:"transactions"`
	}
	if err := json.Unmarshal(r.Result, &result); err != nil {
		t.Fatalf("decode batch result: %v: %.300s", err, r.Raw)
	}
	return result.Transactions
}

func TestBodies_hugeValuesInBatchItemsGet400(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	client := servicetest.NewClient(t, srv.svc, "m1")
	// A batch body may reach 1 MiB, so here the values reach 10^5 bytes.
	const n = 100_000
	digits := "1" + strings.Repeat("0", n)

	// Nesting deeper than the decoder allows breaks the JSON of the whole body.
	nested := `{"transactions":[` + strings.Repeat("[", n) + `]}`
	r := timedPost(t, srv.partnerURL, "/tp/services/transactions", client.Token, nested)
	if r.Code != http.StatusBadRequest {
		t.Errorf("100000 nested arrays: status = %d, want 400: %.300s", r.Code, r.Raw)
	}

	items := []struct {
		field, value string
	}{
		{"purchase_amount", "1e999999"},
		{"purchase_amount", digits},
		{"coupon_amount", "0." + strings.Repeat("1", n)},
		{"coupon_detail_id", "1e999999"},
		{"coupon_detail_id", digits},
		{"transaction_id", "1e999999"},
		{"transaction_id", digits},
		{"identifier_type", digits},
	}
	bodies := make([]string, len(items))
	for i, item := range items {
		bodies[i] = withMember(item.field, item.value)
	}
	body := `{"transactions":[` + strings.Join(bodies, ",") + `]}`
	got := batchItems(t, timedPost(t, srv.partnerURL, "/tp/services/transactions", client.Token, body))

	if len(got) != len(items) {
		t.Fatalf("batch has %d items, want %d", len(got), len(items))
	}
	for i, item := range items {
		fields := make([]string, len(got[i].Errors))
		for j, e := range got[i].Errors {
			fields[j] = e.Field
		}
		if got[i].Status.Code != "400" || !slices.Contains(fields, item.field) {
			t.Errorf("item %d (%s of %d bytes): status %s, fields %v, want 400 naming %s",
				i, item.field, len(item.value), got[i].Status.Code, fields, item.field)
		}
	}
	checkStillServing(t, srv.partnerURL, client.Token)
}

// TestBodies_emptyMemberNameNamesBody checks that a repeated member with the empty name
// gets a 400 on the field "body", not on a field "". FuzzRecordTransaction found the
// latter.
func TestBodies_emptyMemberNameNamesBody(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	client := servicetest.NewClient(t, srv.svc, "m1")

	for _, body := range []string{`{"":1,"":2}`, minimal + `,"":"a","":"b"}`} {
		r := postPurchase(t, srv.partnerURL, client.Token, body)
		if r.Code != http.StatusBadRequest {
			t.Fatalf("%s: status = %d, want 400: %s", body, r.Code, r.Raw)
		}
		if !slices.Contains(r.fields(), "body") || slices.Contains(r.fields(), "") {
			t.Errorf("%s: fields = %q, want body and no empty name", body, r.fields())
		}
	}
}

// TestBodies_nonObjectBodyNamesBody checks that a body that is no JSON object gets a 400
// on the field "body", also when it breaks inside. FuzzRecordTransaction found bodies
// such as "[A" reported on a field "0", the index of the broken array element.
func TestBodies_nonObjectBodyNamesBody(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	client := servicetest.NewClient(t, srv.svc, "m1")

	for _, body := range []string{
		"[A", "[A0", "[\"\xff\"]", `[{"a":1,"a":2}]`, `[0,[1,"\ud800"]]`, `"\ud800"`,
		`{"transactions":[]}` + "\n[A",
	} {
		for _, path := range []string{"/tp/services/transaction", "/tp/services/transactions"} {
			r := send(t, http.MethodPost, srv.partnerURL+path, "Bearer "+client.Token,
				"application/json", []byte(body))
			if r.Code != http.StatusBadRequest {
				t.Errorf("%s %q: status = %d, want 400: %s", path, body, r.Code, r.Raw)
				continue
			}
			if fields := r.fields(); len(fields) != 1 || fields[0] != "body" {
				t.Errorf("%s %q: fields = %q, want [body]", path, body, fields)
			}
		}
	}
}

// TestBodies_brokenBatchItemFailsAlone checks the promise that a broken batch item never
// fails the others, for items whose JSON is well formed but that repeat a member or carry
// text that is not UTF-8. Each must get its own 400 naming the member, as the single
// endpoint does, and the valid item must be recorded.
func TestBodies_brokenBatchItemFailsAlone(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	client := servicetest.NewClient(t, srv.svc, "m1")

	tests := []struct {
		name, item, field string
	}{
		{"repeated member", minimal + `,"purchase_amount":1}`, "purchase_amount"},
		{"invalid UTF-8", minimal + ",\"customer_city\":\"\xff\"}", "customer_city"},
		{"lone surrogate", minimal + `,"customer_nick_name":"\ud800"}`, "customer_nick_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			single := postPurchase(t, srv.partnerURL, client.Token, tt.item)
			if single.Code != http.StatusBadRequest || !slices.Contains(single.fields(), tt.field) {
				t.Fatalf("single endpoint: status %d, fields %v, want 400 naming %s",
					single.Code, single.fields(), tt.field)
			}

			valid := strings.Replace(originalExample, "12345wefr23r", "batch-"+tt.field, 1)
			body := `{"transactions":[` + tt.item + `,` + valid + `]}`
			r := send(t, http.MethodPost, srv.partnerURL+"/tp/services/transactions",
				"Bearer "+client.Token, "application/json", []byte(body))
			if r.Code != http.StatusOK {
				t.Fatalf("batch: status = %d, fields %v, want 200 with one envelope per item: %s",
					r.Code, r.fields(), r.Raw)
			}
			items := batchItems(t, r)
			if len(items) != 2 {
				t.Fatalf("batch has %d items, want 2", len(items))
			}
			if items[0].Status.Code != "400" || len(items[0].Errors) == 0 ||
				items[0].Errors[0].Field != tt.field {
				t.Errorf("broken item = %+v, want 400 naming %s", items[0], tt.field)
			}
			if items[1].Status.Code != "200" {
				t.Errorf("valid item = %+v, want 200", items[1])
			}
		})
	}
}
