// Package servicetest builds a complete txsync for tests: the real wiring of bootstrap.New,
// on an embedded store in a fresh temporary folder.
package servicetest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/txsync/txsync/bootstrap"
)

// New returns a txsync on its own embedded store, closed when the test ends. variables
// override the test defaults, as TXSYNC_* environment variables would.
func New(t testing.TB, variables map[string]string, opts ...bootstrap.Option) *bootstrap.Service {
	t.Helper()
	env := map[string]string{
		"TXSYNC_DATA_DIR":    t.TempDir(),
		"TXSYNC_BCRYPT_COST": "4",
		"TXSYNC_ADMIN_TOKEN": "test-admin-token",
		// Parallel tests under the race detector make a slow store; a test of timeouts sets
		// its own.
		"TXSYNC_STORE_TIMEOUT": "10s",
		// Tests of rate limits set their own; the others must not run into one.
		"TXSYNC_RATE_LIMIT": "1000000",
		"TXSYNC_RATE_BURST": "1000000",
	}
	for k, v := range variables {
		env[k] = v
	}
	cfg, err := bootstrap.LoadConfigFrom(env)
	if err != nil {
		t.Fatalf("load test configuration: %v", err)
	}
	// Background work may log after the test ends, when t.Log would panic.
	logger := slog.New(slog.DiscardHandler)

	svc, err := bootstrap.New(context.Background(), cfg, logger, opts...)
	if err != nil {
		t.Fatalf("start txsync: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(context.Background()); err != nil {
			t.Errorf("close txsync: %v", err)
		}
	})
	return svc
}

// Client is a partner client of a test service.
type Client struct {
	ID       string
	Secret   string
	Merchant string
	// Token is a valid access token of the client.
	Token string
}

// NewClient creates a client of merchant and gets an access token for it through the
// token endpoint.
func NewClient(t testing.TB, svc *bootstrap.Service, merchant string) Client {
	t.Helper()
	c, secret, err := svc.Access().CreateClient(context.Background(), merchant, "test till")
	if err != nil {
		t.Fatalf("create client: %v", err)
	}

	form := url.Values{"grant_type": {"client_credentials"}}
	req := httptest.NewRequest(http.MethodPost, "/tp/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ID, secret)
	resp, err := svc.PartnerAPI().Test(req, -1)
	if err != nil {
		t.Fatalf("request token: %v", err)
	}
	defer resp.Body.Close()
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&token); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("request token: status %d, decode error %v", resp.StatusCode, err)
	}
	return Client{ID: c.ID, Secret: secret, Merchant: merchant, Token: token.AccessToken}
}

// Serve runs svc on loopback listeners until the test ends and returns the base URLs of
// the partner API and the admin API.
func Serve(t testing.TB, svc *bootstrap.Service) (partnerURL, adminURL string) {
	t.Helper()
	partnerLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, partnerLn, adminLn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve txsync: %v", err)
		}
	})
	return "http://" + partnerLn.Addr().String(), "http://" + adminLn.Addr().String()
}
