package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	validationerrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/responses"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/txsync/txsync/adapters/embeddedstore"
	"github.com/txsync/txsync/adapters/httpapi"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

// Paths of the partner API.
const (
	purchasePath  = "/tp/services/transaction"
	batchPath     = "/tp/services/transactions"
	customerPath  = "/tp/services/customer"
	pagePath      = "/tp/services/customer/transactions"
	tokenPath     = "/tp/oauth/token"
	documentPath  = "/tp/openapi.json"
	callerTrace   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	bearerMissing = `Bearer realm="txsync"`
	bearerInvalid = `Bearer realm="txsync", error="invalid_token"`
)

// contract is the OpenAPI document of the partner API with validators built from it.
type contract struct {
	model *v3.Document
	// requests checks requests without strict mode, because the server ignores unknown
	// members.
	requests validator.Validator
	// responses runs in strict mode, which rejects members and headers the document does
	// not declare. So a member renamed in the server or dropped from the document fails.
	responses validator.Validator
}

func loadContract(t testing.TB, document []byte) contract {
	t.Helper()
	doc, err := libopenapi.NewDocument(document)
	if err != nil {
		t.Fatalf("parse OpenAPI document: %v", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build OpenAPI model: %v", err)
	}
	requests, errs := validator.NewValidator(doc,
		config.WithFormatAssertions(),
		config.WithURLEncodedBodyValidation())
	if len(errs) > 0 {
		t.Fatalf("build request validator: %v", errs)
	}
	strict, errs := validator.NewValidator(doc,
		config.WithFormatAssertions(),
		config.WithStrictMode())
	if len(errs) > 0 {
		t.Fatalf("build response validator: %v", errs)
	}
	return contract{model: &model.Model, requests: requests, responses: strict}
}

// exchange is one request to the partner API and the response it must get.
type exchange struct {
	name       string
	method     string
	target     string
	header     map[string]string
	body       string
	wantStatus int
	// requestValid is whether the document accepts the request. The server also checks
	// rules JSON Schema cannot express, such as a third decimal or a phone number, so it
	// rejects some requests the document accepts.
	requestValid bool
	// wantHeader lists response headers that must have these values.
	wantHeader map[string]string
}

func (e exchange) newRequest() *http.Request {
	req := httptest.NewRequest(e.method, e.target, strings.NewReader(e.body))
	for name, value := range e.header {
		req.Header.Set(name, value)
	}
	return req
}

// check validates e's request against the document, sends it to app, validates the
// response and returns its body.
func (c contract) check(t *testing.T, app *fiber.App, e exchange) []byte {
	t.Helper()
	c.checkRequest(t, e.newRequest(), e.requestValid)

	resp, err := app.Test(e.newRequest(), -1)
	if err != nil {
		t.Fatalf("%s %s: %v", e.method, e.target, err)
	}
	raw := c.checkResponse(t, e.newRequest(), resp, e.wantStatus)
	for name, want := range e.wantHeader {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	return raw
}

// checkRequest fails the test unless the document's verdict on req is valid.
func (c contract) checkRequest(t *testing.T, req *http.Request, valid bool) {
	t.Helper()
	ok, errs := c.requests.ValidateHttpRequestSync(req)
	switch {
	case valid && !ok:
		t.Errorf("the document rejects the request, want it accepted:\n%s", describe(errs))
	case !valid && ok:
		t.Errorf("the document accepts the request, want it rejected")
	}
}

// checkResponse fails the test unless resp has status wantStatus and matches the
// document. req is the request that resp responds to. It returns the body.
func (c contract) checkResponse(
	t *testing.T,
	req *http.Request,
	resp *http.Response,
	wantStatus int,
) []byte {
	t.Helper()
	raw := readBody(t, resp)
	if resp.StatusCode != wantStatus {
		t.Fatalf("status = %d, want %d: %s", resp.StatusCode, wantStatus, raw)
	}
	if ok, errs := c.responses.ValidateHttpResponse(req, resp); !ok {
		t.Errorf("response does not match the document:\n%s\nbody: %s", describe(errs), raw)
	}
	checkEnvelopeCode(t, resp.StatusCode, raw)
	return raw
}

// checkComponentResponse validates resp against the response component name, for
// responses no operation declares, such as those of unknown paths.
func (c contract) checkComponentResponse(
	t *testing.T,
	req *http.Request,
	resp *http.Response,
	name string,
) {
	t.Helper()
	component := c.model.Components.Responses.GetOrZero(name)
	if component == nil {
		t.Fatalf("the document has no response component %s", name)
	}
	raw := readBody(t, resp)

	schema := component.Content.GetOrZero("application/json").Schema.Schema()
	ok, errs := responses.ValidateResponseSchema(&responses.ValidateResponseSchemaInput{
		Request:  req,
		Response: resp,
		Schema:   schema,
		Version:  3.1,
		Options:  []config.Option{config.WithStrictMode()},
	})
	if !ok {
		t.Errorf("body does not match %s:\n%s\nbody: %s", name, describe(errs), raw)
	}
	ok, errs = responses.ValidateResponseHeaders(
		req,
		resp,
		component.Headers,
		req.URL.Path,
		strconv.Itoa(resp.StatusCode),
		config.WithStrictMode(),
	)
	if !ok {
		t.Errorf("headers do not match %s:\n%s", name, describe(errs))
	}
	checkEnvelopeCode(t, resp.StatusCode, raw)
}

// readBody reads resp's body and puts it back for the validators.
func readBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return raw
}

// checkEnvelopeCode checks a rule the schemas cannot express, that an envelope's
// status.code equals the HTTP status.
func checkEnvelopeCode(t *testing.T, httpStatus int, raw []byte) {
	t.Helper()
	var envelope struct {
		Status *struct {
			Code string `json:"code"`
		} `json:"status"`
	}
	if json.Unmarshal(raw, &envelope) != nil || envelope.Status == nil {
		return
	}
	if want := strconv.Itoa(httpStatus); envelope.Status.Code != want {
		t.Errorf("status.code = %q, want the HTTP status %s", envelope.Status.Code, want)
	}
}

func describe(errs []*validationerrors.ValidationError) string {
	lines := make([]string, len(errs))
	for i, err := range errs {
		lines[i] = "  " + err.Error()
	}
	return strings.Join(lines, "\n")
}

// jsonAuth returns the headers of a JSON request with a bearer token.
func jsonAuth(token string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + token}
}

// textAuth returns the headers of a plain text request with a bearer token.
func textAuth(token string) map[string]string {
	return map[string]string{"Content-Type": "text/plain", "Authorization": "Bearer " + token}
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// formBasic returns the headers of a form request with HTTP Basic credentials.
func formBasic(id, secret string) map[string]string {
	credentials := base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
	return map[string]string{
		"Content-Type":  "application/x-www-form-urlencoded",
		"Authorization": "Basic " + credentials,
	}
}

var form = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

// purchase returns a valid purchase with transaction id id and the members extra, such as
// `,"gender":1`.
func purchase(id, extra string) string {
	return `{"transaction_id":"` + id + `","customer_identifier":"openid-1","identifier_type":1,` +
		`"purchase_amount":9.9` + extra + `}`
}

// withID returns the original example with transaction id id.
func withID(id string) string {
	return strings.Replace(originalExample, `"12345wefr23r"`, `"`+id+`"`, 1)
}

func TestOpenAPIDocument_isOpenAPI31(t *testing.T) {
	t.Parallel()
	doc, err := libopenapi.NewDocument(httpapi.OpenAPIDocument())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}

	if got := doc.GetVersion(); got != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", got)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Errorf("build model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("build validator: %v", errs)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		t.Errorf("the document breaks the OpenAPI 3.1 schema:\n%s", describe(errs))
	}
}

func TestOpenAPIDocument_describesEveryRoute(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	spec := loadContract(t, httpapi.OpenAPIDocument())

	routed := make(map[string]bool)
	for _, route := range svc.PartnerAPI().GetRoutes(true) {
		// Fiber serves HEAD for every GET route by itself.
		if route.Method != fiber.MethodHead {
			routed[route.Method+" "+route.Path] = true
		}
	}
	documented := make(map[string]bool)
	for path, item := range spec.model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}

	for route := range routed {
		if !documented[route] {
			t.Errorf("route %s is not in the document", route)
		}
	}
	for operation := range documented {
		if !routed[operation] {
			t.Errorf("operation %s of the document has no route", operation)
		}
	}
}

func TestOpenAPIDocument_matchesPartnerAPI(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	other := servicetest.NewClient(t, svc, "m2")
	app := svc.PartnerAPI()
	spec := loadContract(t, httpapi.OpenAPIDocument())

	// Record the purchases that the cases read back, replay and conflict with. Both belong
	// to one customer, so a page of one purchase has a next page.
	var recorded struct {
		Result struct {
			TransactionID int64 `json:"transaction_id"`
		} `json:"result"`
	}
	raw := spec.check(t, app, exchange{method: "POST", target: purchasePath,
		header: jsonAuth(client.Token), body: originalExample, wantStatus: 200, requestValid: true})
	if err := json.Unmarshal(raw, &recorded); err != nil {
		t.Fatalf("decode recorded purchase: %v: %s", err, raw)
	}
	spec.check(t, app, exchange{method: "POST", target: purchasePath,
		header: jsonAuth(client.Token), body: withID("second"), wantStatus: 200, requestValid: true})

	customer := url.Values{"identifier_type": {"3"}, "customer_identifier": {"13592619028"}}.Encode()
	var firstPage struct {
		Result struct {
			NextCursor string `json:"next_cursor"`
		} `json:"result"`
	}
	raw = spec.check(t, app, exchange{method: "GET", target: pagePath + "?limit=1&" + customer,
		header: bearer(client.Token), wantStatus: 200, requestValid: true})
	if err := json.Unmarshal(raw, &firstPage); err != nil || firstPage.Result.NextCursor == "" {
		t.Fatalf("first page has no next_cursor (decode error %v): %s", err, raw)
	}
	nextPage := url.Values{"limit": {"1"}, "cursor": {firstPage.Result.NextCursor}}.Encode()

	platformID := strconv.FormatInt(recorded.Result.TransactionID, 10)
	changed := strings.Replace(originalExample, "14.1", "15", 1)
	tooMany := make([]string, 501)
	for i := range tooMany {
		tooMany[i] = purchase("B-"+strconv.Itoa(i), "")
	}

	tests := []exchange{
		// Recording purchases.
		{name: "new purchase", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: withID("new"), wantStatus: 200, requestValid: true},
		{name: "replay", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: originalExample, wantStatus: 200, requestValid: true,
			wantHeader: map[string]string{"Idempotent-Replayed": "true"}},
		{name: "dry run of a new purchase", method: "POST", target: purchasePath + "?dry_run=true",
			header: jsonAuth(client.Token), body: withID("dry"), wantStatus: 200, requestValid: true},
		{name: "dry run of a replay", method: "POST", target: purchasePath + "?dry_run=true",
			header: jsonAuth(client.Token), body: originalExample, wantStatus: 200, requestValid: true,
			wantHeader: map[string]string{"Idempotent-Replayed": "true"}},
		{name: "dry run of a conflict", method: "POST", target: purchasePath + "?dry_run=true",
			header: jsonAuth(client.Token), body: changed, wantStatus: 409, requestValid: true},
		{name: "conflict", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: changed, wantStatus: 409, requestValid: true},
		{name: "null optional members", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token),
			body: purchase("nulls", `,"purchase_time":null,"coupon_amount":null,`+
				`"wx_coupon_amount":null,"coupon_detail_id":null,"gender":null,"customer_city":null`),
			wantStatus: 200, requestValid: true},
		{name: "integer id and numeric strings", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token),
			body: `{"transaction_id":9223372036854775807,"customer_identifier":"alipay-1",` +
				`"identifier_type":"2","purchase_amount":0,"coupon_detail_id":"17",` +
				`"gender":"female","purchase_time":"2016-03-24T10:10:00+08:00","unknown":[1]}`,
			wantStatus: 200, requestValid: true},
		// Tracing is off in tests, so the response carries the caller's traceparent as is.
		{name: "traceparent and request id returned", method: "POST", target: purchasePath,
			header: map[string]string{
				"Content-Type":  "application/json",
				"Authorization": "Bearer " + client.Token,
				"traceparent":   callerTrace,
				"X-Request-Id":  "partner-req-1",
			},
			body: withID("traced"), wantStatus: 200, requestValid: true,
			wantHeader: map[string]string{"X-Request-Id": "partner-req-1", "traceparent": callerTrace}},

		// 400 in several shapes. The document enforces only some of the rules.
		{name: "missing required members", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: `{}`, wantStatus: 400},
		{name: "wrong types", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token),
			body: `{"transaction_id":true,"customer_identifier":1,"identifier_type":4,` +
				`"purchase_amount":"9.9"}`,
			wantStatus: 400},
		{name: "truncated JSON", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: `{"transaction_id":`, wantStatus: 400},
		{name: "array body", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: `[` + purchase("array", "") + `]`, wantStatus: 400},
		{name: "control character", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: purchase(`ctl\u0001`, ""), wantStatus: 400},
		{name: "transaction id too long", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: purchase(strings.Repeat("x", 65), ""),
			wantStatus: 400},
		{name: "amount above 10^12", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token),
			body: `{"transaction_id":"big","customer_identifier":"o","identifier_type":1,` +
				`"purchase_amount":1e13}`,
			wantStatus: 400},
		{name: "malformed purchase time", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token),
			body:   purchase("time", `,"purchase_time":"2016/03/24 10:10"`), wantStatus: 400},
		{name: "third decimal", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: strings.Replace(withID("fen"), "14.1", "14.105", 1),
			wantStatus: 400, requestValid: true},
		{name: "invalid phone number", method: "POST", target: purchasePath,
			header:     jsonAuth(client.Token),
			body:       strings.Replace(withID("phone"), "13592619028", "12345", 1),
			wantStatus: 400, requestValid: true},
		{name: "purchase time before 2000", method: "POST", target: purchasePath,
			header:     jsonAuth(client.Token),
			body:       purchase("old", `,"purchase_time":"1999-12-31 23:59:59"`),
			wantStatus: 400, requestValid: true},
		{name: "duplicate member", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: purchase("twice", `,"purchase_amount":1`),
			wantStatus: 400, requestValid: true},

		// 401 and 415.
		{name: "no token", method: "POST", target: purchasePath,
			header: map[string]string{"Content-Type": "application/json"}, body: withID("anonymous"),
			wantStatus: 401, wantHeader: map[string]string{"WWW-Authenticate": bearerMissing}},
		{name: "basic scheme", method: "POST", target: purchasePath,
			header: map[string]string{"Content-Type": "application/json", "Authorization": "Basic abc"},
			body:   withID("basic"), wantStatus: 401},
		{name: "tampered token", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token[:len(client.Token)-2] + "xx"), body: withID("tampered"),
			wantStatus: 401, requestValid: true,
			wantHeader: map[string]string{"WWW-Authenticate": bearerInvalid}},
		{name: "read back without token", method: "GET",
			target: purchasePath + "?transaction_id=12345wefr23r", wantStatus: 401},
		{name: "text body", method: "POST", target: purchasePath,
			header: textAuth(client.Token), body: withID("text"), wantStatus: 415},
		{name: "latin-1 body", method: "POST", target: purchasePath,
			header: map[string]string{
				"Content-Type":  "application/json; charset=latin1",
				"Authorization": "Bearer " + client.Token,
			},
			body: withID("latin"), wantStatus: 415, requestValid: true},

		// Batches.
		{name: "batch of valid purchases", method: "POST", target: batchPath,
			header:     jsonAuth(client.Token),
			body:       `{"transactions":[` + withID("batch-1") + `,` + originalExample + `]}`,
			wantStatus: 200, requestValid: true},
		{name: "batch with broken and conflicting items", method: "POST", target: batchPath,
			header:     jsonAuth(client.Token),
			body:       `{"transactions":[` + purchase("batch-2", "") + `,{},` + changed + `,"text"]}`,
			wantStatus: 200},
		{name: "batch without transactions", method: "POST", target: batchPath,
			header: jsonAuth(client.Token), body: `{"purchases":[]}`, wantStatus: 400},
		{name: "empty batch", method: "POST", target: batchPath,
			header: jsonAuth(client.Token), body: `{"transactions":[]}`, wantStatus: 400},
		{name: "batch over 500 items", method: "POST", target: batchPath,
			header: jsonAuth(client.Token),
			body:   `{"transactions":[` + strings.Join(tooMany, ",") + `]}`, wantStatus: 400},
		{name: "batch without token", method: "POST", target: batchPath,
			header: map[string]string{"Content-Type": "application/json"},
			body:   `{"transactions":[` + withID("batch-3") + `]}`, wantStatus: 401},
		{name: "batch as text", method: "POST", target: batchPath,
			header: textAuth(client.Token), body: `{"transactions":[` + withID("batch-4") + `]}`,
			wantStatus: 415},

		// Reading back.
		{name: "read by transaction_id", method: "GET",
			target: purchasePath + "?transaction_id=12345wefr23r", header: bearer(client.Token),
			wantStatus: 200, requestValid: true},
		{name: "read by platform_transaction_id", method: "GET",
			target: purchasePath + "?platform_transaction_id=" + platformID,
			header: bearer(client.Token), wantStatus: 200, requestValid: true},
		{name: "read other merchant's purchase", method: "GET",
			target: purchasePath + "?transaction_id=12345wefr23r", header: bearer(other.Token),
			wantStatus: 404, requestValid: true},
		{name: "read without id", method: "GET", target: purchasePath,
			header: bearer(client.Token), wantStatus: 400, requestValid: true},
		{name: "read with both ids", method: "GET",
			target: purchasePath + "?transaction_id=a&platform_transaction_id=1",
			header: bearer(client.Token), wantStatus: 400, requestValid: true},
		{name: "read with text platform id", method: "GET",
			target: purchasePath + "?platform_transaction_id=abc",
			header: bearer(client.Token), wantStatus: 400},
		{name: "read customer", method: "GET", target: customerPath + "?" + customer,
			header: bearer(client.Token), wantStatus: 200, requestValid: true},
		{name: "read customer by other phone spelling", method: "GET",
			target: customerPath + "?identifier_type=3&customer_identifier=%2B86+135-9261-9028",
			header: bearer(client.Token), wantStatus: 200, requestValid: true},
		{name: "read other merchant's customer", method: "GET",
			target: customerPath + "?" + customer, header: bearer(other.Token),
			wantStatus: 404, requestValid: true},
		{name: "read customer without identifier", method: "GET",
			target: customerPath + "?identifier_type=3", header: bearer(client.Token),
			wantStatus: 400},
		{name: "read customer of unknown type", method: "GET",
			target: customerPath + "?identifier_type=9&customer_identifier=x",
			header: bearer(client.Token), wantStatus: 400},
		{name: "next page", method: "GET", target: pagePath + "?" + customer + "&" + nextPage,
			header: bearer(client.Token), wantStatus: 200, requestValid: true},
		{name: "page of limit 0", method: "GET", target: pagePath + "?limit=0&" + customer,
			header: bearer(client.Token), wantStatus: 400},
		{name: "page with invalid cursor", method: "GET", target: pagePath + "?cursor=xyz&" + customer,
			header: bearer(client.Token), wantStatus: 400, requestValid: true},
		{name: "page of other merchant's customer", method: "GET", target: pagePath + "?" + customer,
			header: bearer(other.Token), wantStatus: 404, requestValid: true},

		// Tokens.
		{name: "token with HTTP Basic", method: "POST", target: tokenPath,
			header: formBasic(client.ID, client.Secret), body: "grant_type=client_credentials",
			wantStatus: 200, requestValid: true,
			wantHeader: map[string]string{"Cache-Control": "no-store", "Pragma": "no-cache"}},
		{name: "token with form credentials", method: "POST", target: tokenPath, header: form,
			body: url.Values{
				"grant_type":    {"client_credentials"},
				"client_id":     {client.ID},
				"client_secret": {client.Secret},
			}.Encode(),
			wantStatus: 200, requestValid: true},
		{name: "token with unsupported grant", method: "POST", target: tokenPath,
			header: formBasic(client.ID, client.Secret), body: "grant_type=password", wantStatus: 400},
		{name: "token without grant", method: "POST", target: tokenPath,
			header: formBasic(client.ID, client.Secret), body: "scope=x", wantStatus: 400},
		{name: "token request as JSON", method: "POST", target: tokenPath,
			header: map[string]string{"Content-Type": "application/json"},
			body:   `{"grant_type":"client_credentials"}`, wantStatus: 400},
		{name: "token with wrong secret", method: "POST", target: tokenPath,
			header: formBasic(client.ID, "wrong"), body: "grant_type=client_credentials",
			wantStatus: 401, requestValid: true,
			wantHeader: map[string]string{"WWW-Authenticate": `Basic realm="txsync"`}},
		{name: "token without credentials", method: "POST", target: tokenPath, header: form,
			body: "grant_type=client_credentials", wantStatus: 401, requestValid: true},

		// Operations.
		{name: "liveness", method: "GET", target: "/healthz", wantStatus: 200, requestValid: true},
		{name: "readiness", method: "GET", target: "/readyz", wantStatus: 200, requestValid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec.check(t, app, tt)
		})
	}
}

func TestOpenAPIDocument_servedDocument(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	spec := loadContract(t, httpapi.OpenAPIDocument())
	get := exchange{method: "GET", target: documentPath}

	spec.checkRequest(t, get.newRequest(), true)
	resp, err := svc.PartnerAPI().Test(get.newRequest(), -1)
	if err != nil {
		t.Fatal(err)
	}
	raw := readBody(t, resp)

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", resp.StatusCode, raw)
	}
	// Strict mode would ask the schema to declare every member of an OpenAPI document.
	if ok, errs := spec.requests.ValidateHttpResponse(get.newRequest(), resp); !ok {
		t.Errorf("response does not match the document:\n%s", describe(errs))
	}
	if !bytes.Equal(raw, httpapi.OpenAPIDocument()) {
		t.Errorf("served document differs from the embedded one: got %d bytes, want %d",
			len(raw), len(httpapi.OpenAPIDocument()))
	}
}

func TestOpenAPIDocument_unroutedRequests(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	app := svc.PartnerAPI()
	spec := loadContract(t, httpapi.OpenAPIDocument())

	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		component  string
	}{
		{"unknown path", "POST", "/tp/services/nothing", 404, "NotFound"},
		{"wrong method", "DELETE", purchasePath, 405, "MethodNotAllowed"},
		{"wrong method on token endpoint", "GET", tokenPath, 405, "MethodNotAllowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.path, nil)
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatalf("%s %s: %v", tt.method, tt.path, err)
			}

			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			spec.checkComponentResponse(t, req, resp, tt.component)
		})
	}
}

func TestOpenAPIDocument_disabledClient(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, map[string]string{"TXSYNC_CLIENT_REFRESH": "50ms"})
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	servicetest.Serve(t, svc) // runs the reload of disabled clients
	spec := loadContract(t, httpapi.OpenAPIDocument())

	if err := svc.Access().DisableClient(t.Context(), client.ID); err != nil {
		t.Fatalf("disable client: %v", err)
	}
	post := exchange{method: "POST", target: purchasePath, header: jsonAuth(client.Token),
		body: originalExample, wantStatus: 403, requestValid: true}
	status := 0
	for range 100 {
		resp, err := app.Test(post.newRequest(), -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if status = resp.StatusCode; status == http.StatusForbidden {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status != http.StatusForbidden {
		t.Fatalf("status = %d, want 403 within 5 s of disabling", status)
	}

	spec.check(t, app, post)
	spec.check(t, app, exchange{method: "GET",
		target: customerPath + "?identifier_type=1&customer_identifier=o",
		header: bearer(client.Token), wantStatus: 403, requestValid: true})
	spec.check(t, app, exchange{method: "POST", target: tokenPath,
		header: formBasic(client.ID, client.Secret), body: "grant_type=client_credentials",
		wantStatus: 401, requestValid: true})
}

func TestOpenAPIDocument_oversizedBodies(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	partnerURL, _ := servicetest.Serve(t, svc)
	spec := loadContract(t, httpapi.OpenAPIDocument())

	tests := []struct {
		name string
		path string
		body string
		// sendBody is false where the server rejects the request by its Content-Length
		// and closes the connection without reading the body.
		sendBody bool
	}{
		{"purchase over 64 KiB", purchasePath,
			purchase("large", `,"note":"`+strings.Repeat("a", 64<<10)+`"`), true},
		{"batch over 1 MiB", batchPath,
			`{"transactions":[` + purchase("large", `,"note":"`+strings.Repeat("a", 1<<20)+`"`) + `]}`,
			false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			post := exchange{method: "POST", target: partnerURL + tt.path,
				header: jsonAuth(client.Token), body: tt.body}
			// The document cannot bound the size of a body, so it accepts the request.
			spec.checkRequest(t, post.newRequest(), true)

			resp := sendRaw(t, post.newRequest(), tt.sendBody)
			spec.checkResponse(t, post.newRequest(), resp, http.StatusRequestEntityTooLarge)
		})
	}
}

// sendRaw writes req to its host over a new connection, without the body unless sendBody
// is set, and reads the response.
func sendRaw(t *testing.T, req *http.Request, sendBody bool) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", req.URL.Host, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}

	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n",
		req.Method, req.URL.RequestURI(), req.URL.Host, req.ContentLength)
	if err := req.Header.Write(w); err != nil {
		t.Fatal(err)
	}
	w.WriteString("\r\n")
	if sendBody {
		if _, err := io.Copy(w, req.Body); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("write request: %v", err)
	}

	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp
}

func TestOpenAPIDocument_storeOutage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	store, err := embeddedstore.Start(ctx, t.TempDir(), "127.0.0.1:0", logger)
	if err != nil {
		t.Fatalf("start store: %v", err)
	}
	t.Cleanup(func() { _ = store.Stop(ctx) }) // a second Stop after the test's own is harmless
	svc := servicetest.New(t, map[string]string{
		"TXSYNC_MONGODB_URI":   store.URI(),
		"TXSYNC_STORE_TIMEOUT": "1s",
	})
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	spec := loadContract(t, httpapi.OpenAPIDocument())

	if err := store.Stop(ctx); err != nil {
		t.Fatalf("stop store: %v", err)
	}

	tests := []exchange{
		{name: "record", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: originalExample},
		{name: "read back", method: "GET", target: purchasePath + "?transaction_id=a",
			header: bearer(client.Token)},
		{name: "readiness", method: "GET", target: "/readyz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.wantStatus, tt.requestValid = http.StatusServiceUnavailable, true
			tt.wantHeader = map[string]string{"Retry-After": "1"}
			spec.check(t, app, tt)
		})
	}
}

func TestOpenAPIDocument_rateLimited(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, slowLimits)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	spec := loadContract(t, httpapi.OpenAPIDocument())

	for i := range 3 {
		spec.check(t, app, exchange{method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: purchase("limited-"+strconv.Itoa(i), ""),
			wantStatus: 200, requestValid: true,
			wantHeader: map[string]string{"RateLimit-Remaining": strconv.Itoa(2 - i)}})
	}
	// Token requests have their own limits. A client id may send 10 at once and one more
	// each second, so the 429 is checked as soon as it arrives.
	guess := exchange{method: "POST", target: tokenPath, header: formBasic(client.ID, "guessed"),
		body: "grant_type=client_credentials"}
	spec.checkRequest(t, guess.newRequest(), true)
	for guesses := 0; ; guesses++ {
		if guesses == 20 {
			t.Fatalf("20 token requests with a wrong secret got no 429")
		}
		resp, err := app.Test(guess.newRequest(), -1)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			spec.checkResponse(t, guess.newRequest(), resp, http.StatusTooManyRequests)
			break
		}
		spec.checkResponse(t, guess.newRequest(), resp, http.StatusUnauthorized)
	}

	tests := []exchange{
		{name: "record", method: "POST", target: purchasePath,
			header: jsonAuth(client.Token), body: purchase("limited-3", "")},
		{name: "read back", method: "GET", target: purchasePath + "?transaction_id=limited-0",
			header: bearer(client.Token)},
		{name: "batch", method: "POST", target: batchPath, header: jsonAuth(client.Token),
			body: `{"transactions":[` + purchase("limited-4", "") + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.wantStatus, tt.requestValid = http.StatusTooManyRequests, true
			spec.check(t, app, tt)
		})
	}
}

// TestOpenAPIDocument_detectsDrift changes the document and checks that real responses
// then fail, which shows that the checks above catch a document and a server that disagree.
func TestOpenAPIDocument_detectsDrift(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()
	unchanged := loadContract(t, httpapi.OpenAPIDocument())

	post := func(body string) *http.Response {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, purchasePath, strings.NewReader(body))
		for name, value := range jsonAuth(client.Token) {
			req.Header.Set(name, value)
		}
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	recorded := readBody(t, post(originalExample))
	replay := post(originalExample)
	replayed, replayHeader := readBody(t, replay), replay.Header
	invalid := readBody(t, post(`{}`))

	tests := []struct {
		name   string
		change func(document map[string]any)
		// status, header and body are the real response the changed document must reject.
		status int
		header http.Header
		body   []byte
	}{
		{"result member removed from document", func(d map[string]any) {
			removeMember(t, d, "RecordResult", "customer_id")
		}, 200, nil, recorded},
		{"result member renamed in server", func(d map[string]any) {
			// To the validator, a server that sends "replayed" to a document that names it
			// "is_replayed" looks the same as a server that renamed the member.
			removeMember(t, d, "RecordResult", "replayed")
			addMember(t, d, "RecordResult", "is_replayed", map[string]any{"type": "boolean"})
		}, 200, nil, recorded},
		{"error member removed from document", func(d map[string]any) {
			removeMember(t, d, "FieldErrorEnvelope", "request_id")
		}, 400, nil, invalid},
		{"response header removed from document", func(d map[string]any) {
			responses := lookup(t, d, "paths", purchasePath, "post", "responses")
			delete(lookup(t, responses, "200", "headers"), "Idempotent-Replayed")
		}, 200, replayHeader, replayed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var document map[string]any
			dec := json.NewDecoder(bytes.NewReader(httpapi.OpenAPIDocument()))
			dec.UseNumber()
			if err := dec.Decode(&document); err != nil {
				t.Fatal(err)
			}
			tt.change(document)
			changed, err := json.Marshal(document)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, purchasePath, nil)
			newResponse := func() *http.Response {
				header := tt.header.Clone()
				if header == nil {
					header = http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r-1"}}
				}
				return &http.Response{StatusCode: tt.status, Header: header,
					Body: io.NopCloser(bytes.NewReader(tt.body))}
			}

			if ok, errs := unchanged.responses.ValidateHttpResponse(req, newResponse()); !ok {
				t.Fatalf("the unchanged document rejects the response:\n%s", describe(errs))
			}
			if ok, _ := loadContract(t, changed).responses.ValidateHttpResponse(req, newResponse()); ok {
				t.Errorf("the changed document accepts the response, want it rejected: %s", tt.body)
			}
		})
	}
}

// lookup returns the object at path in document.
func lookup(t *testing.T, document map[string]any, path ...string) map[string]any {
	t.Helper()
	object := document
	for _, key := range path {
		next, ok := object[key].(map[string]any)
		if !ok {
			t.Fatalf("the document has no object at %s", strings.Join(path, "/"))
		}
		object = next
	}
	return object
}

// removeMember deletes member from the properties and the required list of schema.
func removeMember(t *testing.T, document map[string]any, schema, member string) {
	t.Helper()
	object := lookup(t, document, "components", "schemas", schema)
	delete(lookup(t, object, "properties"), member)
	required, _ := object["required"].([]any)
	kept := []any{}
	for _, name := range required {
		if name != member {
			kept = append(kept, name)
		}
	}
	object["required"] = kept
}

// addMember adds a required member to schema.
func addMember(t *testing.T, document map[string]any, schema, member string, definition any) {
	t.Helper()
	object := lookup(t, document, "components", "schemas", schema)
	lookup(t, object, "properties")[member] = definition
	required, _ := object["required"].([]any)
	object["required"] = append(required, member)
}
