package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/bootstrap"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

// fuzzContentTypes are the Content-Type headers FuzzRecordTransaction picks from. The first
// ones declare JSON in UTF-8, the others must get a 415.
var fuzzContentTypes = []string{
	"application/json",
	"application/json; charset=utf-8",
	"APPLICATION/JSON; Charset=UTF-8",
	"text/plain",
	"application/json; charset=gbk",
	"",
}

// jsonContentTypes is how many of fuzzContentTypes declare JSON in UTF-8.
const jsonContentTypes = 3

// purchaseFields are the request members a 409 may name.
var purchaseFields = map[string]bool{
	"transaction_id": true, "customer_identifier": true, "identifier_type": true,
	"purchase_time": true, "purchase_amount": true, "coupon_amount": true,
	"wx_coupon_amount": true, "coupon_detail_id": true, "gender": true,
	"customer_nick_name": true, "customer_country": true, "customer_province": true,
	"customer_city": true,
}

// fuzzEnvelope is a partner API response body. Decoding rejects any other top-level
// member.
type fuzzEnvelope struct {
	Status struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Result    json.RawMessage `json:"result"`
	Errors    []fieldError    `json:"errors"`
	RequestID string          `json:"request_id"`
}

// FuzzRecordTransaction posts any body to POST /tp/services/transaction of one txsync on
// the embedded store and checks the response. It must be 200, 400, 409, 413 or 415 in a
// valid envelope, never 500 nor a panic. A 400 or 409 names at least one field, and only
// fields the request carries or the endpoint defines. 415 comes exactly when the Content-Type is
// not JSON in UTF-8, and 413 exactly when the body is over 64 KiB. The second argument
// picks a Content-Type from fuzzContentTypes, and the third adds ?dry_run=true.
func FuzzRecordTransaction(f *testing.F) {
	svc, token := newFuzzService(f)
	app := svc.PartnerAPI()
	for _, body := range fuzzPurchaseSeeds() {
		f.Add([]byte(body), uint8(0), false)
	}
	f.Add([]byte(originalExample), uint8(0), true)
	f.Add([]byte(strings.Replace(originalExample, "14.1", "15", 1)), uint8(1), true)
	f.Add([]byte(originalExample), uint8(3), false)
	f.Add([]byte(originalExample), uint8(4), false)
	f.Add([]byte(`{"purchase_amount":1`+strings.Repeat(" ", 64<<10)+`}`), uint8(0), false)

	f.Fuzz(func(t *testing.T, body []byte, contentType uint8, dryRun bool) {
		target := "/tp/services/transaction"
		if dryRun {
			target += "?dry_run=true"
		}
		resp, raw, typeIndex := postFuzz(t, app, target, token, body, contentType)

		code := resp.StatusCode
		switch {
		case typeIndex >= jsonContentTypes:
			wantStatus(t, code, raw, http.StatusUnsupportedMediaType)
		case len(body) > 64<<10:
			wantStatus(t, code, raw, http.StatusRequestEntityTooLarge)
		default:
			wantStatus(t, code, raw, http.StatusOK, http.StatusBadRequest, http.StatusConflict)
		}
		env := decodeEnvelope(t, raw)
		checkEnvelope(t, env, code, raw)
		checkHeaders(t, resp, env)
		checkFieldsSent(t, env, body, raw, purchaseFields)
	})
}

// FuzzRecordBatch posts any body to POST /tp/services/transactions and checks the
// response. It must be 200, 400, 413 or 415 in a valid envelope, never 500 nor a panic,
// and 415 exactly when the Content-Type is not JSON in UTF-8. A 200 carries 1 to 500 item
// envelopes with 200, 400 or 409 each, and every 400 or 409 names at least one field. The
// second argument picks a Content-Type from fuzzContentTypes.
func FuzzRecordBatch(f *testing.F) {
	svc, token := newFuzzService(f)
	app := svc.PartnerAPI()
	for _, body := range fuzzPurchaseSeeds() {
		f.Add([]byte(`{"transactions":[`+body+`]}`), uint8(0))
	}
	for _, body := range []string{
		`{"transactions":[` + originalExample + `,` + originalExample + `,{"transaction_id":1}]}`,
		`{"transactions":[]}`,
		`{"transactions":{}}`,
		`{"transactions":null}`,
		`{"items":[]}`,
		`{"transactions":[1,"a",null,[],{}]}`,
		`{"transactions":[` + strings.Repeat(`{},`, 500) + `{}]}`,
		`{"transactions":[`,
		`{"transactions":[{}],"transactions":[{}]}`,
	} {
		f.Add([]byte(body), uint8(0))
	}
	f.Add([]byte(`{"transactions":[`+originalExample+`]}`), uint8(5))

	f.Fuzz(func(t *testing.T, body []byte, contentType uint8) {
		resp, raw, typeIndex := postFuzz(t, app, "/tp/services/transactions", token, body,
			contentType)

		code := resp.StatusCode
		if typeIndex >= jsonContentTypes {
			wantStatus(t, code, raw, http.StatusUnsupportedMediaType)
		} else {
			wantStatus(t, code, raw, http.StatusOK, http.StatusBadRequest,
				http.StatusRequestEntityTooLarge)
		}
		env := decodeEnvelope(t, raw)
		checkEnvelope(t, env, code, raw)
		checkHeaders(t, resp, env)
		checkFieldsSent(t, env, body, raw, map[string]bool{"transactions": true})
		if code != http.StatusOK {
			return
		}

		var result struct {
			Transactions []json.RawMessage `json:"transactions"`
		}
		if err := json.Unmarshal(env.Result, &result); err != nil {
			t.Fatalf("result: %v: %s", err, raw)
		}
		if n := len(result.Transactions); n < 1 || n > 500 {
			t.Fatalf("result.transactions has %d items, want 1 to 500: %s", n, raw)
		}
		for i, itemRaw := range result.Transactions {
			item := decodeEnvelope(t, itemRaw)
			itemCode, err := strconv.Atoi(item.Status.Code)
			if err != nil {
				t.Fatalf("item %d: status.code = %q, want a number", i, item.Status.Code)
			}
			wantStatus(t, itemCode, itemRaw, http.StatusOK, http.StatusBadRequest,
				http.StatusConflict)
			checkEnvelope(t, item, itemCode, itemRaw)
		}
	})
}

// newFuzzService returns a txsync on the embedded store and an access token of a client.
func newFuzzService(f *testing.F) (*bootstrap.Service, string) {
	// Fuzzing sends thousands of requests a second, which the rate limit must let through.
	svc := servicetest.New(f, map[string]string{
		"TXSYNC_RATE_LIMIT": "1e9",
		"TXSYNC_RATE_BURST": "1000000000",
	})
	return svc, servicetest.NewClient(f, svc, "m1").Token
}

// postFuzz posts body to target with token and the Content-Type that contentType picks
// from fuzzContentTypes. It returns the response, its body and the index it picked.
func postFuzz(
	t *testing.T,
	app *fiber.App,
	target, token string,
	body []byte,
	contentType uint8,
) (*http.Response, []byte, int) {
	t.Helper()
	typeIndex := int(contentType) % len(fuzzContentTypes)
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if ct := fuzzContentTypes[typeIndex]; ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "bearer "+token)
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp, raw, typeIndex
}

// wantStatus fails the test unless code is one of allowed.
func wantStatus(t *testing.T, code int, raw []byte, allowed ...int) {
	t.Helper()
	if !slices.Contains(allowed, code) {
		t.Fatalf("status = %d, want one of %v: %s", code, allowed, raw)
	}
}

// decodeEnvelope decodes raw as exactly one envelope without unknown members.
func decodeEnvelope(t *testing.T, raw []byte) fuzzEnvelope {
	t.Helper()
	var env fuzzEnvelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("response is not an envelope: %v: %s", err, raw)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("response has data after the envelope: %s", raw)
	}
	return env
}

// checkEnvelope checks an envelope sent with HTTP status code: the status object,
// at least one named field in a 400 or 409, only purchase fields in a 409, and a result
// in a 200.
func checkEnvelope(t *testing.T, env fuzzEnvelope, code int, raw []byte) {
	t.Helper()
	if env.Status.Code != strconv.Itoa(code) {
		t.Errorf("status.code = %q, want %q", env.Status.Code, strconv.Itoa(code))
	}
	if env.Status.Message == "" {
		t.Errorf("status.message is empty: %s", raw)
	}
	switch code {
	case http.StatusOK:
		if len(env.Result) == 0 || env.Result[0] != '{' {
			t.Errorf("result = %s, want an object: %s", env.Result, raw)
		}
	case http.StatusBadRequest, http.StatusConflict:
		if len(env.Errors) == 0 {
			t.Errorf("errors is empty, want at least one field: %s", raw)
		}
		for _, e := range env.Errors {
			if e.Field == "" || e.Reason == "" {
				t.Errorf("error %+v, want a field name and a reason: %s", e, raw)
			}
			if code == http.StatusConflict && !purchaseFields[e.Field] {
				t.Errorf("409 names %q, want a purchase field: %s", e.Field, raw)
			}
		}
	}
	checkPlatformID(t, env, raw)
}

// checkPlatformID checks that a recorded purchase's platform id is 1 to 2^53-1. Dry runs
// and failures carry none.
func checkPlatformID(t *testing.T, env fuzzEnvelope, raw []byte) {
	t.Helper()
	if env.Status.Code != "200" {
		return
	}
	var result struct {
		TransactionID *int64 `json:"transaction_id"`
		DryRun        bool   `json:"dry_run"`
		Transactions  any    `json:"transactions"`
	}
	if err := json.Unmarshal(env.Result, &result); err != nil {
		t.Fatalf("result: %v: %s", err, raw)
	}
	if result.DryRun || result.Transactions != nil {
		return
	}
	if id := result.TransactionID; id == nil || *id <= 0 || *id >= 1<<53 {
		t.Errorf("result.transaction_id of %s, want 1 to 2^53-1", raw)
	}
}

// checkFieldsSent checks that every field an envelope names is "body", one of the
// endpoint's fields, or a member the request body has at its top level.
func checkFieldsSent(t *testing.T, env fuzzEnvelope, body, raw []byte, fields map[string]bool) {
	t.Helper()
	names := topLevelNames(body)
	for _, e := range env.Errors {
		if e.Field != "body" && !fields[e.Field] && !names[e.Field] {
			t.Errorf("errors name %q, want body, a field of the endpoint or a member of the "+
				"request: %s", e.Field, raw)
		}
	}
}

// topLevelNames returns the member names at the top level of body, read leniently: a
// repeated name or text that is not UTF-8 does not stop the reading, and the names before
// a syntax error count.
func topLevelNames(body []byte) map[string]bool {
	names := make(map[string]bool)
	dec := jsontext.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if dec.PeekKind() != '{' {
		return names
	}
	if _, err := dec.ReadToken(); err != nil {
		return names
	}
	for dec.PeekKind() == '"' {
		name, err := dec.ReadToken()
		if err != nil {
			break
		}
		names[name.String()] = true
		if err := dec.SkipValue(); err != nil {
			break
		}
	}
	return names
}

// checkHeaders checks the JSON Content-Type and that an error's request_id is the
// X-Request-Id header.
func checkHeaders(t *testing.T, resp *http.Response, env fuzzEnvelope) {
	t.Helper()
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	header := resp.Header.Get("X-Request-Id")
	if header == "" {
		t.Errorf("X-Request-Id header is missing")
	}
	if resp.StatusCode != http.StatusOK && env.RequestID != header {
		t.Errorf("request_id = %q, want the X-Request-Id header %q", env.RequestID, header)
	}
}

// fuzzPurchaseSeeds returns the request bodies of the contract, valid and broken.
func fuzzPurchaseSeeds() []string {
	member := func(name, value string) string {
		return fmt.Sprintf(`{%s,%q:%s}`, valid, name, value)
	}
	return []string{
		originalExample,
		"\xEF\xBB\xBF" + originalExample,
		`{` + valid + `}`,
		`{"transaction_id":123456,"customer_identifier":"2088102122524333",` +
			`"identifier_type":"2","purchase_amount":0}`,
		`{"transaction_id":"T-2","customer_identifier":"+86 135-9261-9028","identifier_type":3,` +
			`"purchase_amount":9.99e1,"gender":"female","unknown":[1,{"a":null}]}`,
		member("purchase_time", `"2016-03-24T10:10:00+08:00"`),
		member("purchase_time", `null`),
		member("coupon_detail_id", `"123456"`),
		member("customer_country", `" 中国"`),
		`{}`,
		`{"transaction_id":"","customer_identifier":"x","identifier_type":4,` +
			`"purchase_amount":-1,"gender":"robot"}`,
		`{"transaction_id":1.5,"customer_identifier":13592619028,"identifier_type":1,` +
			`"purchase_amount":"9.9"}`,
		member("purchase_amount", `14.105`),
		member("coupon_amount", `1e999999`),
		member("coupon_detail_id", `9223372036854775808`),
		member("coupon_detail_id", strings.Repeat("9", 400)),
		member("purchase_time", `"2016-12-31 23:59:60"`),
		member("customer_nick_name", `"a\u007fb"`),
		member("customer_nick_name", `"\ud800"`),
		"{" + valid + ",\"customer_city\":\"\xff\"}",
		member("purchase_amount", `1`),
		`{"":1,"":2}`,
		`{"transaction_id":`,
		`{"transaction_id":"a",}`,
		`[{` + valid + `}]`,
		`{` + valid + `}{}`,
		``,
		`null`,
		strings.Repeat("[", 1000),
		`{"a":` + strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 201),
	}
}
