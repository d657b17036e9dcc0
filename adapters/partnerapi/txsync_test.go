package partnerapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// txsync is a txsync built in process, serving its partner API on a loopback port.
type txsync struct {
	baseURL  string
	clientID string
	secret   string
}

// startTxsync builds txsync through bootstrap.New with the embedded store in a temporary
// folder, serves it on 127.0.0.1 and creates one partner client. Everything stops in
// cleanup. The long store timeout keeps a slow run, such as one with the race detector,
// free of 503s that would add retries.
func startTxsync(t *testing.T) txsync {
	t.Helper()

	svc := servicetest.New(t, map[string]string{"TXSYNC_STORE_TIMEOUT": "10s"})
	partnerURL, _ := servicetest.Serve(t, svc)
	client := servicetest.NewClient(t, svc, "m1")
	return txsync{baseURL: partnerURL, clientID: client.ID, secret: client.Secret}
}

// faultProxy forwards requests to txsync and counts them by path. It can replace the
// bearer token of the next transaction requests with an invalid one, so that txsync
// rejects them, or respond to them with a 503 itself.
type faultProxy struct {
	*httptest.Server

	mu          sync.Mutex
	requests    map[string]int
	badTokens   int // transaction requests that still get an invalid token
	unavailable int // transaction requests that still get a 503 from the proxy
	retryAfter  string
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()

	targetURL, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{requests: map[string]int{}}
	forward := httputil.NewSingleHostReverseProxy(targetURL)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.intercept(w, r) {
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// intercept counts r, applies the pending faults and reports whether it responded to r.
func (p *faultProxy) intercept(w http.ResponseWriter, r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()

	p.requests[r.URL.Path]++
	if r.URL.Path != "/tp/services/transaction" {
		return false
	}
	if p.unavailable > 0 {
		p.unavailable--
		w.Header().Set("Retry-After", p.retryAfter)
		http.Error(w, "injected by the test proxy", http.StatusServiceUnavailable)
		return true
	}
	if p.badTokens > 0 {
		p.badTokens--
		r.Header.Set("Authorization", "Bearer not-a-token")
	}
	return false
}

// injectFaults makes the next badTokens transaction requests carry an invalid token, and
// the next unavailable ones get a 503 with retryAfter from the proxy.
func (p *faultProxy) injectFaults(badTokens, unavailable int, retryAfter string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.badTokens, p.unavailable, p.retryAfter = badTokens, unavailable, retryAfter
}

func (p *faultProxy) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[path]
}
