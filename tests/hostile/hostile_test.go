// Package hostile_test attacks a txsync served on 127.0.0.1 the way a hostile or broken
// partner would: forged and foreign tokens, secrets fishing, slow and oversized requests,
// and bodies built to exhaust the JSON decoder. Each test starts its own txsync on the
// embedded store through bootstrap, as the binary does, and talks to it with net/http or
// raw TCP connections.
package hostile_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/txsync/txsync/bootstrap"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

// originalExample is the request of the original partner API page.
const originalExample = `{
    "transaction_id": "12345wefr23r",
    "customer_identifier": "13592619028",
    "identifier_type": 3,
    "purchase_time": "2016-03-24 10:10:00",
    "purchase_amount": 14.1,
    "coupon_detail_id": 123456,
    "coupon_amount": 0.8,
    "wx_coupon_amount": 0,
    "gender": 1,
    "customer_nick_name": "ethan",
    "customer_country": " 中国",
    "customer_province": "广东",
    "customer_city": "深圳"
}`

// httpClient is the client of every test request. Its timeout bounds each request, so a
// server that stops responding fails the test instead of hanging it.
var httpClient = &http.Client{Timeout: 15 * time.Second}

// target is a txsync served on loopback.
type target struct {
	svc        *bootstrap.Service
	partnerURL string
	adminURL   string
}

// serve starts a txsync on its own embedded store, with variables overriding the test
// defaults, and serves it on 127.0.0.1 until the test ends.
func serve(t *testing.T, variables map[string]string, opts ...bootstrap.Option) target {
	t.Helper()
	svc := servicetest.New(t, variables, opts...)
	partnerURL, adminURL := servicetest.Serve(t, svc)
	return target{svc: svc, partnerURL: partnerURL, adminURL: adminURL}
}

// fieldError is one entry of an envelope's errors.
type fieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// reply is a response of the partner or admin API with its body decoded as an envelope
// where it is one.
type reply struct {
	Code   int
	Header http.Header
	Raw    string
	Status struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Result json.RawMessage `json:"result"`
	Errors []fieldError    `json:"errors"`
}

// fields returns the field names of the reply's errors.
func (r reply) fields() []string {
	names := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		names[i] = e.Field
	}
	return names
}

// send sends a request with an optional body and Authorization header and reads the
// reply. A JSON body is decoded as an envelope where it is one; the caller checks what it
// needs.
func send(t *testing.T, method, rawURL, authorization, contentType string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("build %s %s: %v", method, rawURL, err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read reply of %s %s: %v", method, rawURL, err)
	}

	r := reply{Code: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if !json.Valid(raw) {
			t.Fatalf("%s %s: reply declared as JSON is not JSON: %.300s", method, rawURL, raw)
		}
		// A JSON reply that is no envelope, such as that of /readyz, leaves its fields empty.
		_ = json.Unmarshal(raw, &r)
	}
	return r
}

// postPurchase posts body to the single purchase endpoint with an access token.
func postPurchase(t *testing.T, partnerURL, token, body string) reply {
	t.Helper()
	return send(t, http.MethodPost, partnerURL+"/tp/services/transaction", "Bearer "+token,
		"application/json", []byte(body))
}

// getWithToken sends an authenticated GET of path with query.
func getWithToken(t *testing.T, partnerURL, token, path string, query url.Values) reply {
	t.Helper()
	return send(t, http.MethodGet, partnerURL+path+"?"+query.Encode(), "Bearer "+token, "", nil)
}

// requestToken requests a token from the token endpoint with HTTP Basic credentials.
func requestToken(t *testing.T, partnerURL, clientID, secret string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, partnerURL+"/tp/oauth/token",
		strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatalf("build token request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read token reply: %v", err)
	}
	return reply{Code: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
}

// checkStillServing fails the test unless the partner API records a purchase with token,
// as proof that an attack left the service working.
func checkStillServing(t *testing.T, partnerURL, token string) {
	t.Helper()
	id := "alive-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	r := postPurchase(t, partnerURL, token, strings.Replace(originalExample, "12345wefr23r", id, 1))
	if r.Code != http.StatusOK {
		t.Fatalf("after the attack: status = %d, want 200: %s", r.Code, r.Raw)
	}
}

// rawExchange writes request on a new TCP connection to the host of baseURL and reads one
// HTTP response. It returns the status code, or 0 when the server closed the connection
// without a response.
func rawExchange(t *testing.T, baseURL string, request []byte) int {
	t.Helper()
	conn := dialLoopback(t, baseURL)
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	// The server may respond and close before the whole request is written, so a write
	// error is not a failure: the response, if any, decides.
	_, _ = conn.Write(request)

	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // drained only to free the connection
	return resp.StatusCode
}

// dialLoopback opens a TCP connection to the host of baseURL, which must be on 127.0.0.1.
func dialLoopback(t *testing.T, baseURL string) net.Conn {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("parse %s: %v", baseURL, err)
	}
	if u.Hostname() != "127.0.0.1" {
		t.Fatalf("refusing to dial %s: the tests only talk to 127.0.0.1", u.Host)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", u.Host, err)
	}
	return conn
}

// hostOf returns the host:port of baseURL.
func hostOf(t *testing.T, baseURL string) string {
	t.Helper()
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatalf("parse %s: %v", baseURL, err)
	}
	return u.Host
}

// rawRequest returns an HTTP/1.1 request with the given request line target, headers and
// body, and Connection: close.
func rawRequest(method, requestTarget, host string, headers []string, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, requestTarget, host)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n" + body)
	return []byte(b.String())
}
