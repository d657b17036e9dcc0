package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// valid is a minimal valid purchase; cases replace or add members.
const valid = `"transaction_id":"T-1","customer_identifier":"openid-1","identifier_type":1,"purchase_amount":9.9`

func TestRecordTransaction_fieldErrors(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	future := time.Now().In(time.FixedZone("CST", 8*3600)).Add(25 * time.Hour).Format("2006-01-02 15:04:05")

	tests := []struct {
		name string
		body string
		// want maps each field that must be reported to a part of its reason.
		want map[string]string
	}{
		{"missing required fields", `{}`, map[string]string{
			"transaction_id": "required", "customer_identifier": "required",
			"identifier_type": "required", "purchase_amount": "required"}},
		{"null required fields", `{"transaction_id":null,"customer_identifier":null,"identifier_type":null,"purchase_amount":null}`,
			map[string]string{"transaction_id": "required", "customer_identifier": "required",
				"identifier_type": "required", "purchase_amount": "required"}},
		{"several broken fields at once",
			`{"transaction_id":"","customer_identifier":"x","identifier_type":4,"purchase_amount":-1,"gender":"robot"}`,
			map[string]string{"transaction_id": "empty", "identifier_type": "must be 1",
				"purchase_amount": "negative", "gender": "must be"}},
		{"transaction id too long", `{` + strings.Replace(valid, `"T-1"`, `"`+strings.Repeat("x", 65)+`"`, 1) + `}`,
			map[string]string{"transaction_id": "at most 64"}},
		{"transaction id with control character", `{` + strings.Replace(valid, `"T-1"`, `"T\u0001"`, 1) + `}`,
			map[string]string{"transaction_id": "control"}},
		{"transaction id as fraction", `{` + strings.Replace(valid, `"T-1"`, `1.5`, 1) + `}`,
			map[string]string{"transaction_id": "integer"}},
		{"transaction id as boolean", `{` + strings.Replace(valid, `"T-1"`, `true`, 1) + `}`,
			map[string]string{"transaction_id": "string"}},
		{"identifier as number", `{` + strings.Replace(valid, `"openid-1"`, `13592619028`, 1) + `}`,
			map[string]string{"customer_identifier": "string"}},
		{"identifier too long", `{` + strings.Replace(valid, `"openid-1"`, `"`+strings.Repeat("o", 129)+`"`, 1) + `}`,
			map[string]string{"customer_identifier": "at most 128"}},
		{"blank identifier", `{` + strings.Replace(valid, `"openid-1"`, `" \u3000 "`, 1) + `}`,
			map[string]string{"customer_identifier": "empty"}},
		{"invalid phone", `{` + strings.Replace(strings.Replace(valid, `"openid-1"`, `"12345"`, 1), `"identifier_type":1`, `"identifier_type":3`, 1) + `}`,
			map[string]string{"customer_identifier": "phone"}},
		{"identifier type out of range", `{` + strings.Replace(valid, `"identifier_type":1`, `"identifier_type":"9"`, 1) + `}`,
			map[string]string{"identifier_type": "must be 1"}},
		{"amount as string", `{` + strings.Replace(valid, `9.9`, `"9.9"`, 1) + `}`,
			map[string]string{"purchase_amount": "number"}},
		{"amount with third decimal", `{` + strings.Replace(valid, `9.9`, `14.105`, 1) + `}`,
			map[string]string{"purchase_amount": "decimal"}},
		{"amount too large", `{` + strings.Replace(valid, `9.9`, `1e13`, 1) + `}`,
			map[string]string{"purchase_amount": "at most"}},
		{"coupon amounts negative", `{` + valid + `,"coupon_amount":-0.01,"wx_coupon_amount":-2}`,
			map[string]string{"coupon_amount": "negative", "wx_coupon_amount": "negative"}},
		{"coupon detail id zero", `{` + valid + `,"coupon_detail_id":0}`,
			map[string]string{"coupon_detail_id": "positive"}},
		{"coupon detail id fraction", `{` + valid + `,"coupon_detail_id":1.5}`,
			map[string]string{"coupon_detail_id": "positive"}},
		{"coupon detail id above int64", `{` + valid + `,"coupon_detail_id":9223372036854775808}`,
			map[string]string{"coupon_detail_id": "at most"}},
		{"purchase time malformed", `{` + valid + `,"purchase_time":"2016/03/24 10:10"}`,
			map[string]string{"purchase_time": "yyyy-mm-dd"}},
		{"purchase time second 60", `{` + valid + `,"purchase_time":"2016-12-31 23:59:60"}`,
			map[string]string{"purchase_time": "yyyy-mm-dd"}},
		{"purchase time RFC 3339 without offset", `{` + valid + `,"purchase_time":"2016-03-24T10:10:00"}`,
			map[string]string{"purchase_time": "yyyy-mm-dd"}},
		{"purchase time before 2000", `{` + valid + `,"purchase_time":"1999-12-31 23:59:59"}`,
			map[string]string{"purchase_time": "2000-01-01"}},
		{"purchase time in the far future", `{` + valid + `,"purchase_time":"` + future + `"}`,
			map[string]string{"purchase_time": "future"}},
		{"purchase time as number", `{` + valid + `,"purchase_time":1458785400}`,
			map[string]string{"purchase_time": "string"}},
		{"profile text too long", `{` + valid + `,"customer_city":"` + strings.Repeat("深", 65) + `"}`,
			map[string]string{"customer_city": "at most 64"}},
		{"profile text with control character", `{` + valid + `,"customer_nick_name":"a\u007fb"}`,
			map[string]string{"customer_nick_name": "control"}},
		{"gender unknown word", `{` + valid + `,"gender":"other"}`,
			map[string]string{"gender": "must be"}},
		{"duplicate member", `{` + valid + `,"purchase_amount":1}`,
			map[string]string{"purchase_amount": "twice"}},
		{"lone surrogate", `{` + valid + `,"customer_nick_name":"\ud800"}`,
			map[string]string{"customer_nick_name": "UTF-8"}},
		{"invalid UTF-8", "{" + valid + ",\"customer_city\":\"\xff\"}",
			map[string]string{"customer_city": "UTF-8"}},
		{"truncated JSON", `{"transaction_id":`, map[string]string{"body": "complete"}},
		{"malformed JSON", `{"transaction_id":"a",}`, map[string]string{"body": "JSON"}},
		{"JSON array", `[{` + valid + `}]`, map[string]string{"body": "object"}},
		{"two objects", `{` + valid + `}{}`, map[string]string{"body": "one JSON object"}},
		{"empty body", ``, map[string]string{"body": "JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := postPurchase(t, app, client.Token, tt.body)

			if r.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %s", r.Code, r.Raw)
			}
			reasons := r.fieldReasons()
			for field, part := range tt.want {
				reason, ok := reasons[field]
				if !ok {
					t.Errorf("errors = %v, want an entry for %s", r.Errors, field)
					continue
				}
				if !strings.Contains(reason, part) {
					t.Errorf("%s: reason = %q, want it to contain %q", field, reason, part)
				}
			}
			if len(reasons) != len(tt.want) {
				t.Errorf("errors = %v, want exactly %d entries", r.Errors, len(tt.want))
			}
		})
	}
}

func TestRecordTransaction_acceptedInputForms(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	tests := []struct {
		name string
		body string
	}{
		{"byte order mark", "\uFEFF{" + valid + "}"},
		{"integer transaction id", `{` + strings.Replace(valid, `"T-1"`, `9223372036854775807`, 1) + `}`},
		{"unknown members ignored", `{` + valid + `,"store_no":"S1","extra":{"nested":[1,2]}}`},
		{"exponent amount", `{` + strings.Replace(valid, `9.9`, `9.99e1`, 1) + `}`},
		{"float noise amount", `{` + strings.Replace(valid, `9.9`, `14.100000000000001`, 1) + `}`},
		{"RFC 3339 time", `{` + valid + `,"purchase_time":"2016-03-24T10:10:00+08:00"}`},
		{"null optional members", `{` + valid + `,"purchase_time":null,"gender":null,"coupon_amount":null,"customer_city":null}`},
		{"numeric strings", `{` + valid + `,"coupon_detail_id":"123","gender":"2"}`},
		{"empty gender", `{` + valid + `,"gender":""}`},
		{"full-width phone", `{` + strings.Replace(strings.Replace(valid, `"openid-1"`, `"＋８６１３５９２６１９０２８"`, 1), `"identifier_type":1`, `"identifier_type":3`, 1) + `}`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := strings.Replace(tt.body, `"T-1"`, `"accepted-`+string(rune('a'+i))+`"`, 1)
			r := postPurchase(t, app, client.Token, body)
			if r.Code != http.StatusOK {
				t.Errorf("status = %d, want 200: %s", r.Code, r.Raw)
			}
		})
	}
}

func TestPartnerAPI_requestErrors(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		auth        string
		body        string
		wantCode    int
		wantHeader  [2]string
	}{
		{"no token", "POST", "/tp/services/transaction", "application/json", "", "{}", 401,
			[2]string{"WWW-Authenticate", `Bearer realm="txsync"`}},
		{"basic scheme", "POST", "/tp/services/transaction", "application/json", "Basic abc", "{}", 401,
			[2]string{"WWW-Authenticate", `Bearer realm="txsync"`}},
		{"tampered token", "POST", "/tp/services/transaction", "application/json",
			"Bearer " + client.Token[:len(client.Token)-2] + "xx", "{}", 401,
			[2]string{"WWW-Authenticate", `Bearer realm="txsync", error="invalid_token"`}},
		{"scheme in upper case", "POST", "/tp/services/transaction", "application/json",
			"BEARER " + client.Token, "{}", 400, [2]string{}},
		{"text content type", "POST", "/tp/services/transaction", "text/plain", "Bearer " + client.Token,
			"{}", 415, [2]string{}},
		{"missing content type", "POST", "/tp/services/transaction", "", "Bearer " + client.Token,
			"{}", 415, [2]string{}},
		{"latin-1 charset", "POST", "/tp/services/transaction", "application/json; charset=latin1",
			"Bearer " + client.Token, "{}", 415, [2]string{}},
		{"content type in other case", "POST", "/tp/services/transaction", "Application/JSON; Charset=UTF-8",
			"Bearer " + client.Token, "{}", 400, [2]string{}},
		{"unknown path", "POST", "/tp/services/nothing", "application/json", "", "{}", 404, [2]string{}},
		{"wrong method", "DELETE", "/tp/services/transaction", "", "", "", 405,
			[2]string{"Allow", "GET, HEAD, POST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			r := do(t, app, req)

			if r.Code != tt.wantCode {
				t.Fatalf("status = %d, want %d: %s", r.Code, tt.wantCode, r.Raw)
			}
			if name := tt.wantHeader[0]; name != "" && r.Header.Get(name) != tt.wantHeader[1] {
				t.Errorf("%s = %q, want %q", name, r.Header.Get(name), tt.wantHeader[1])
			}
			if r.Status.Message == "" {
				t.Errorf("status.message is empty, want a reason")
			}
		})
	}
}

func TestPartnerAPI_requestIDFromCaller(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	app := svc.PartnerAPI()

	req := httptest.NewRequest(http.MethodPost, "/tp/services/transaction", strings.NewReader("{}"))
	req.Header.Set("X-Request-Id", "partner-req-42")
	r := do(t, app, req)

	if got := r.Header.Get("X-Request-Id"); got != "partner-req-42" {
		t.Errorf("X-Request-Id = %q, want the caller's partner-req-42", got)
	}
	if r.RequestID != "partner-req-42" {
		t.Errorf("request_id = %q, want partner-req-42", r.RequestID)
	}
}

func TestPartnerAPI_bodyOver64KiB(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	partnerURL, _ := servicetest.Serve(t, svc)

	body := `{"x":"` + strings.Repeat("a", 64<<10) + `"}`
	req, err := http.NewRequest(http.MethodPost, partnerURL+"/tp/services/transaction", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+client.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)

	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413: %s", resp.StatusCode, raw)
	}
	if !strings.Contains(string(raw), `"code":"413"`) {
		t.Errorf("body = %s, want the envelope with code 413", raw)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("413 response has no X-Request-Id header")
	}
}
