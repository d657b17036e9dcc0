package partnerapi_test

import (
	"errors"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/txsync/txsync/adapters/partnerapi"
)

const (
	tokenPath       = "/tp/oauth/token"
	transactionPath = "/tp/services/transaction"
)

// fastRetries keeps the tests short where no Retry-After is involved.
var fastRetries = partnerapi.WithRetryPolicy(partnerapi.RetryPolicy{
	Attempts: 3,
	Backoff:  10 * time.Millisecond,
	MaxWait:  2 * time.Second,
})

func TestClient_Record_outcomes(t *testing.T) {
	t.Parallel()

	server := startTxsync(t)
	client := partnerapi.New(server.baseURL, server.clientID, server.secret, nil)
	first := `{"transaction_id":"T-1","customer_identifier":"o-1","identifier_type":1,` +
		`"purchase_amount":19.99}`

	accepted, err := client.Record(t.Context(), []byte(first))
	if err != nil {
		t.Fatal(err)
	}
	if accepted.Status != http.StatusOK || accepted.Result.Replayed {
		t.Fatalf("first post: got status %d replayed %t, want 200 and false",
			accepted.Status, accepted.Result.Replayed)
	}
	if accepted.Result.TransactionID <= 0 || accepted.Result.CustomerID == "" {
		t.Errorf("first post: got result %+v, want a platform id and a customer id", accepted.Result)
	}

	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantResult partnerapi.Result
		wantErrors []partnerapi.FieldError
	}{
		{
			name:       "same content is a replay with the same ids",
			body:       first,
			wantStatus: http.StatusOK,
			wantResult: partnerapi.Result{
				TransactionID: accepted.Result.TransactionID,
				CustomerID:    accepted.Result.CustomerID,
				Replayed:      true,
			},
		},
		{
			name: "other content is a conflict naming the field",
			body: `{"transaction_id":"T-1","customer_identifier":"o-1","identifier_type":1,` +
				`"purchase_amount":20}`,
			wantStatus: http.StatusConflict,
			wantErrors: []partnerapi.FieldError{
				{Field: "purchase_amount", Reason: "differs from the recorded purchase"},
			},
		},
		{
			name:       "field errors are listed",
			body:       `{"transaction_id":"T-2","identifier_type":1,"purchase_amount":-1}`,
			wantStatus: http.StatusBadRequest,
			wantErrors: []partnerapi.FieldError{
				{Field: "customer_identifier", Reason: "is required"},
				{Field: "purchase_amount", Reason: "must not be negative"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := client.Record(t.Context(), []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("Status = %d, want %d", got.Status, tt.wantStatus)
			}
			if got.Result != tt.wantResult {
				t.Errorf("Result = %+v, want %+v", got.Result, tt.wantResult)
			}
			if !slices.Equal(got.Errors, tt.wantErrors) {
				t.Errorf("Errors = %+v, want %+v", got.Errors, tt.wantErrors)
			}
			if got.RequestID == "" {
				t.Error("RequestID is empty, want the X-Request-Id of the response")
			}
			if got.Attempts != 1 {
				t.Errorf("Attempts = %d, want 1", got.Attempts)
			}
		})
	}
}

func TestClient_Record_cachesToken(t *testing.T) {
	t.Parallel()

	server := startTxsync(t)
	proxy := newFaultProxy(t, server.baseURL)
	client := partnerapi.New(proxy.URL, server.clientID, server.secret, nil)

	for i := range 3 {
		body := `{"transaction_id":"T-` + string(rune('a'+i)) + `","customer_identifier":"o-1",` +
			`"identifier_type":1,"purchase_amount":1}`
		if resp, err := client.Record(t.Context(), []byte(body)); err != nil || resp.Status != 200 {
			t.Fatalf("post %d: got status %d error %v, want 200", i, resp.Status, err)
		}
	}
	if got := proxy.count(tokenPath); got != 1 {
		t.Errorf("token requests = %d, want 1 for 3 purchases", got)
	}
}

func TestClient_Record_renewsTokenOnce(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name          string
		badTokens     int
		wantStatus    int
		wantTokenPost int
	}{
		{"one rejected token", 1, http.StatusOK, 2},
		{"renewed token rejected too", 2, http.StatusUnauthorized, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			server := startTxsync(t)
			proxy := newFaultProxy(t, server.baseURL)
			client := partnerapi.New(proxy.URL, server.clientID, server.secret, nil)
			if err := client.Authenticate(t.Context()); err != nil {
				t.Fatal(err)
			}
			proxy.injectFaults(tt.badTokens, 0, "")

			body := `{"transaction_id":"T-1","customer_identifier":"o-1","identifier_type":1,` +
				`"purchase_amount":1}`
			resp, err := client.Record(t.Context(), []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantStatus {
				t.Errorf("Status = %d, want %d", resp.Status, tt.wantStatus)
			}
			if resp.Attempts != 2 {
				t.Errorf("Attempts = %d, want 2: the post and one resend", resp.Attempts)
			}
			if got := proxy.count(tokenPath); got != tt.wantTokenPost {
				t.Errorf("token requests = %d, want %d", got, tt.wantTokenPost)
			}
		})
	}
}

func TestClient_Record_retriesAfterRetryAfter(t *testing.T) {
	t.Parallel()

	server := startTxsync(t)
	proxy := newFaultProxy(t, server.baseURL)
	proxy.injectFaults(0, 1, "1")
	client := partnerapi.New(proxy.URL, server.clientID, server.secret, nil, fastRetries)

	start := time.Now()
	body := `{"transaction_id":"T-1","customer_identifier":"o-1","identifier_type":1,` +
		`"purchase_amount":1}`
	resp, err := client.Record(t.Context(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || resp.Attempts != 2 {
		t.Errorf("got status %d after %d attempts, want 200 after 2", resp.Status, resp.Attempts)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("retried after %s, want at least the 1 s of Retry-After", elapsed)
	}
}

func TestClient_Record_retryAfterBeyondMaxWait(t *testing.T) {
	t.Parallel()

	server := startTxsync(t)
	proxy := newFaultProxy(t, server.baseURL)
	proxy.injectFaults(0, 1, "60")
	client := partnerapi.New(proxy.URL, server.clientID, server.secret, nil, fastRetries)

	body := `{"transaction_id":"T-1","customer_identifier":"o-1","identifier_type":1,` +
		`"purchase_amount":1}`
	resp, err := client.Record(t.Context(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusServiceUnavailable || resp.Attempts != 1 {
		t.Errorf("got status %d after %d attempts, want 503 after 1", resp.Status, resp.Attempts)
	}
}

func TestClient_Authenticate_wrongSecret(t *testing.T) {
	t.Parallel()

	server := startTxsync(t)
	client := partnerapi.New(server.baseURL, server.clientID, "wrong", nil)

	err := client.Authenticate(t.Context())
	if !errors.Is(err, partnerapi.ErrInvalidClient) {
		t.Errorf("Authenticate() error = %v, want ErrInvalidClient", err)
	}
}

func TestClient_Record_unreachable(t *testing.T) {
	t.Parallel()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + listener.Addr().String()
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	client := partnerapi.New(closedURL, "id", "secret", nil, fastRetries)

	_, err = client.Record(t.Context(), []byte(`{}`))
	if !errors.Is(err, partnerapi.ErrUnreachable) {
		t.Errorf("Record() error = %v, want ErrUnreachable", err)
	}
}
