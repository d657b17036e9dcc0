package loadtest_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/txsync/txsync/adapters/loadtest"
)

// fakeService imitates the admin API, the token endpoint and the transaction endpoint of
// txsync on one loopback server. Its transaction endpoint cycles through the outcomes a
// load test must count: a success, a 503 and a connection closed without a response.
type fakeService struct {
	*httptest.Server
	// rateLimit is the RateLimit-Limit header the rate limit check gets.
	rateLimit    string
	transactions atomic.Int64
}

func newFakeService(t *testing.T, rateLimit string) *fakeService {
	t.Helper()
	f := &fakeService{rateLimit: rateLimit}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/clients", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"client_id":"c1","client_secret":"s1"}`))
	})
	mux.HandleFunc("PUT /admin/clients/c1/rate-limit", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"client_id":"c1"}`))
	})
	mux.HandleFunc("POST /tp/oauth/token", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"access_token":"t1","token_type":"bearer","expires_in":7200}`))
	})
	mux.HandleFunc("GET /tp/services/transaction", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("RateLimit-Limit", f.rateLimit)
		w.WriteHeader(http.StatusBadRequest)
	})
	mux.HandleFunc("POST /tp/services/transaction", f.recordTransaction)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeService) recordTransaction(w http.ResponseWriter, _ *http.Request) {
	switch f.transactions.Add(1) % 3 {
	case 0:
		_, _ = w.Write([]byte(`{"status":{"code":"200"},"result":{"transaction_id":1}}`))
	case 1:
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // the client gets no response at all
		}
	}
}

func (f *fakeService) service() loadtest.Service {
	return loadtest.Service{PartnerURL: f.URL, AdminURL: f.URL, AdminToken: "admin"}
}
