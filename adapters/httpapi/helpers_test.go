package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// originalExample is the request of the original partner API page, byte for byte.
var originalExample = readTestdata("original-example.json")

func readTestdata(name string) string {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		panic(err) // tests cannot run without their data
	}
	return string(data)
}

type fieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// response is a decoded partner API response.
type response struct {
	Code   int
	Header http.Header
	Raw    string
	Status struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Result struct {
		TransactionID int64  `json:"transaction_id"`
		CustomerID    string `json:"customer_id"`
		Replayed      bool   `json:"replayed"`
	} `json:"result"`
	Errors    []fieldError `json:"errors"`
	RequestID string       `json:"request_id"`
}

// fieldReasons maps each field of the response's errors to its reason.
func (r response) fieldReasons() map[string]string {
	reasons := make(map[string]string, len(r.Errors))
	for _, e := range r.Errors {
		reasons[e.Field] = e.Reason
	}
	return reasons
}

// do sends req to app and decodes the envelope. A body that is not an envelope fails the
// test, because every partner API response must be one.
func do(t testing.TB, app *fiber.App, req *http.Request) response {
	t.Helper()
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	r := response{Code: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s %s: response is not an envelope: %v: %s", req.Method, req.URL.Path, err, raw)
	}
	if r.Status.Code != strconv.Itoa(resp.StatusCode) {
		t.Errorf("status.code = %q, want the HTTP status %d", r.Status.Code, resp.StatusCode)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("response has no X-Request-Id header")
	}
	return r
}

// postPurchase posts body as a purchase with token.
func postPurchase(t testing.TB, app *fiber.App, token, body string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/tp/services/transaction", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "bearer "+token)
	return do(t, app, req)
}
