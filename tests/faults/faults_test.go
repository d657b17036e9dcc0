// Package faults_test injects faults into txsync while a few workers post purchases to
// it: kill -9 of the service, a stopped store, SIGTERM to the service, and two instances
// that receive the same purchases at once. Everything runs in containers through
// tests/containers. Each test counts what the clients saw and what the store holds, fails
// on a lost purchase, a duplicate or a 500, and logs its figures. When
// TXSYNC_RELIABILITY_OUT names a folder, each test also appends its figures as one JSON
// line to faults.jsonl in that folder.
package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/txsync/txsync/tests/containers"
)

// requestTimeout bounds every HTTP request and store command of these tests.
const requestTimeout = 10 * time.Second

// stack is a store container and the txsync containers that use it, on one network.
type stack struct {
	network  *testcontainers.DockerNetwork
	store    *containers.Store
	services []*containers.Service
}

// startStack starts a store and instances txsync services on it. env adds service
// variables to the ones baseServiceEnv sets.
func startStack(t *testing.T, instances int, env map[string]string) stack {
	t.Helper()

	ctx := t.Context()
	s := stack{network: containers.NewNetwork(ctx, t)}
	s.store = containers.StartStore(ctx, t, s.network)

	serviceEnv := baseServiceEnv()
	for name, value := range env {
		serviceEnv[name] = value
	}

	for range instances {
		service := containers.StartService(ctx, t, s.network, s.store.NetworkURI, serviceEnv)
		s.services = append(s.services, service)
	}

	return s
}

// baseServiceEnv returns the settings every service of these tests gets. A low bcrypt
// cost makes tokens fast to issue. A rate limit far above what the load sends means that
// no request gets a 429, so every rejection the tests count comes from the fault.
func baseServiceEnv() map[string]string {
	return map[string]string{
		"TXSYNC_BCRYPT_COST": "4",
		"TXSYNC_RATE_LIMIT":  "100000",
		"TXSYNC_RATE_BURST":  "100000",
	}
}

// partnerClient is a partner client that these tests created, with an access token.
type partnerClient struct {
	id     string
	secret string
	token  string
}

// newPartnerClient creates a client of merchant m1 through service's admin API and gets
// an access token for it from the partner API. The token stays valid across restarts
// and on every instance, since its signing key is in the store.
func newPartnerClient(t *testing.T, service *containers.Service) partnerClient {
	t.Helper()

	client := createClient(t, service)
	client.token = fetchToken(t, service.BaseURL(), client)

	return client
}

func createClient(t *testing.T, service *containers.Service) partnerClient {
	t.Helper()

	body := []byte(`{"merchant":"m1","name":"fault test"}`)
	request, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		service.AdminURL()+"/admin/clients", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("build create client request: %v", err)
	}

	request.Header.Set("Authorization", "Bearer "+service.AdminToken)
	request.Header.Set("Content-Type", "application/json")

	var created struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	status := doJSON(t, request, &created)
	if status != http.StatusCreated {
		t.Fatalf("POST /admin/clients: got status %d, want %d", status, http.StatusCreated)
	}

	return partnerClient{id: created.ClientID, secret: created.ClientSecret}
}

func fetchToken(t *testing.T, baseURL string, client partnerClient) string {
	t.Helper()

	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	request, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		baseURL+"/tp/oauth/token", strings.NewReader(form))
	if err != nil {
		t.Fatalf("build token request: %v", err)
	}

	request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	request.SetBasicAuth(client.id, client.secret)

	var token struct {
		AccessToken string `json:"access_token"`
	}
	status := doJSON(t, request, &token)
	if status != http.StatusOK || token.AccessToken == "" {
		t.Fatalf("POST /tp/oauth/token: got status %d and token %q, want 200 and a token",
			status, token.AccessToken)
	}

	return token.AccessToken
}

// doJSON sends request, decodes the JSON response body into target and returns the
// status.
func doJSON(t *testing.T, request *http.Request, target any) int {
	t.Helper()

	response, err := (&http.Client{Timeout: requestTimeout}).Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", request.Method, request.URL.Path, err)
	}
	defer response.Body.Close() // Read in full below; a close error changes nothing.

	if err := json.NewDecoder(response.Body).Decode(target); err != nil {
		t.Fatalf("%s %s: read the %d response: %v",
			request.Method, request.URL.Path, response.StatusCode, err)
	}

	return response.StatusCode
}

// sleep waits for d, or less when ctx ends first.
func sleep(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()

	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// purchaseBody returns the JSON of a purchase with transactionID by the WeChat customer
// openid-<customer>.
func purchaseBody(transactionID string, customer int) []byte {
	return fmt.Appendf(nil,
		`{"transaction_id":%q,"customer_identifier":"openid-%d","identifier_type":1,`+
			`"purchase_amount":12.34,"coupon_amount":0.5}`,
		transactionID, customer)
}

// customerCount is how many distinct customers the purchases of one load spread over,
// so the load both creates customers and adds purchases to existing ones.
const customerCount = 50
