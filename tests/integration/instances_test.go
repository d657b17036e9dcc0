// Package integration_test runs txsync and its store as containers and drives them over
// HTTP: several instances on one store, and instances that are killed and restarted.
package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/txsync/txsync/adapters/partnerapi"
	"github.com/txsync/txsync/tests/containers"
)

const requestTimeout = 10 * time.Second

// credentials are a partner client's id and secret.
type credentials struct{ id, secret string }

// createClient creates a partner client of merchant through service's admin API.
func createClient(t *testing.T, service *containers.Service, merchant string) credentials {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"merchant": merchant, "name": "integration"})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, service.AdminURL()+"/admin/clients", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+service.AdminToken)
	resp, err := (&http.Client{Timeout: requestTimeout}).Do(req)
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	defer resp.Body.Close()
	var created struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create client: status %d, %v", resp.StatusCode, err)
	}
	return credentials{created.ClientID, created.ClientSecret}
}

// apiClient returns a partner API client of service that authenticates as c. Call it again
// after the service restarts: its host ports change.
func apiClient(service *containers.Service, c credentials) *partnerapi.Client {
	return partnerapi.New(service.BaseURL(), c.id, c.secret, &http.Client{Timeout: requestTimeout})
}

func purchase(transactionID string, customer int) []byte {
	return fmt.Appendf(nil, `{"transaction_id":%q,"customer_identifier":"openid-%d","identifier_type":1,"purchase_amount":12.34}`,
		transactionID, customer)
}

// countDocuments counts the documents of a collection through the store's port on
// 127.0.0.1.
func countDocuments(t *testing.T, storeURI, collection string) int64 {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(storeURI).SetTimeout(requestTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	n, err := client.Database("txsync").Collection(collection).CountDocuments(t.Context(), bson.D{})
	if err != nil {
		t.Fatalf("count %s: %v", collection, err)
	}
	return n
}

func TestInstances_sameTransactionIDsRecordedOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	net := containers.NewNetwork(ctx, t)
	store := containers.StartStore(ctx, t, net)
	first := containers.StartService(ctx, t, net, store.NetworkURI, nil)
	second := containers.StartService(ctx, t, net, store.NetworkURI, nil)

	// One client, two API clients: a token issued by one instance must work on the other,
	// since both verify it with the key they share through the store.
	creds := createClient(t, first, "m1")
	onFirst, onSecond := apiClient(first, creds), apiClient(second, creds)

	const purchases = 40
	type answer struct{ first, second partnerapi.Response }
	answers := make([]answer, purchases)
	var wg sync.WaitGroup
	for i := range purchases {
		body := purchase(fmt.Sprintf("T-%d", i), i%7)
		wg.Go(func() {
			var err error
			if answers[i].first, err = onFirst.Record(ctx, body); err != nil {
				t.Errorf("purchase %d on the first instance: %v", i, err)
			}
		})
		wg.Go(func() {
			var err error
			if answers[i].second, err = onSecond.Record(ctx, body); err != nil {
				t.Errorf("purchase %d on the second instance: %v", i, err)
			}
		})
	}
	wg.Wait()

	ids := make(map[int64]bool)
	for i, a := range answers {
		if a.first.Status != http.StatusOK || a.second.Status != http.StatusOK {
			t.Fatalf("purchase %d: statuses %d and %d, want 200 from both", i, a.first.Status, a.second.Status)
		}
		if a.first.Result.TransactionID != a.second.Result.TransactionID {
			t.Errorf("purchase %d: platform ids %d and %d, want one id", i, a.first.Result.TransactionID, a.second.Result.TransactionID)
		}
		if a.first.Result.Replayed == a.second.Result.Replayed {
			t.Errorf("purchase %d: replayed %t on both instances, want exactly one to record it", i, a.first.Result.Replayed)
		}
		if ids[a.first.Result.TransactionID] {
			t.Errorf("platform id %d was given to two purchases", a.first.Result.TransactionID)
		}
		ids[a.first.Result.TransactionID] = true
	}
	if n := countDocuments(t, store.HostURI(), "transactions"); n != purchases {
		t.Errorf("store has %d purchases, want %d", n, purchases)
	}
	if n := countDocuments(t, store.HostURI(), "customers"); n != 7 {
		t.Errorf("store has %d customers, want 7", n)
	}
}

func TestInstances_killedServiceKeepsAcknowledgedPurchases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	net := containers.NewNetwork(ctx, t)
	store := containers.StartStore(ctx, t, net)
	service := containers.StartService(ctx, t, net, store.NetworkURI, nil)
	creds := createClient(t, service, "m1")
	client := apiClient(service, creds)

	const purchases = 20
	before := make([]int64, purchases)
	for i := range purchases {
		r, err := client.Record(ctx, purchase(fmt.Sprintf("K-%d", i), i))
		if err != nil || r.Status != http.StatusOK {
			t.Fatalf("purchase %d: status %d, %v", i, r.Status, err)
		}
		before[i] = r.Result.TransactionID
	}

	if err := service.Kill(ctx); err != nil {
		t.Fatalf("kill -9 the service: %v", err)
	}
	if err := service.Start(ctx); err != nil {
		t.Fatalf("start the service again: %v", err)
	}

	// The service has new host ports after a start, and a new process: retry everything.
	client = apiClient(service, creds)
	for i := range purchases {
		r, err := client.Record(ctx, purchase(fmt.Sprintf("K-%d", i), i))
		if err != nil || r.Status != http.StatusOK {
			t.Fatalf("retry %d: status %d, %v", i, r.Status, err)
		}
		if r.Result.TransactionID != before[i] || !r.Result.Replayed {
			t.Errorf("retry %d: id %d replayed %t, want id %d replayed", i, r.Result.TransactionID, r.Result.Replayed, before[i])
		}
	}
	if n := countDocuments(t, store.HostURI(), "transactions"); n != purchases {
		t.Errorf("store has %d purchases, want %d", n, purchases)
	}
}
