// Package e2e_test replays the UCI Online Retail sample into a running txsync, built in
// process and run in containers, through the replay client. It checks every response,
// and the store, against counts computed from the CSV alone.
package e2e_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/txsync/txsync/adapters/partnerapi"
	"github.com/txsync/txsync/tests/retail"
)

const (
	merchant = "retail-uk"
	// database is the database txsync keeps its collections in by default.
	database = "txsync"
	// replayConcurrency is how many purchases the replays post at once.
	replayConcurrency = 8
)

// Field errors txsync returns for the sample's rejected invoices.
var (
	negativeAmount  = partnerapi.FieldError{Field: "purchase_amount", Reason: "must not be negative"}
	missingCustomer = partnerapi.FieldError{Field: "customer_identifier", Reason: "is required"}
)

func TestRetailReplay(t *testing.T) {
	t.Parallel()

	sample, err := retail.LoadSample()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		start func(*testing.T) target
	}{
		{"in process", startInProcess},
		{"in containers", startInContainers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			replayTwice(t, tt.start(t), sample)
		})
	}
}

// replayTwice replays the sample into target twice and checks each response and the
// store after each replay.
func replayTwice(t *testing.T, target target, sample retail.Sample) {
	t.Helper()

	want := sample.Expected
	clientID, secret := createClient(t, target)
	file := writePurchases(t, sample.Invoices)
	store := connectStore(t, target.storeURI)

	first := replay(t, target, clientID, secret, file)
	checkSummary(t, "first replay", first, want, false)
	checkResponses(t, "first replay", sample.Invoices, first.responses, false)

	customers := map[string]string{} // customer_identifier to the customer_id txsync gave it
	platformIDs := map[int64]bool{}
	for line, inv := range sample.Invoices {
		result := first.responses[line+1].Result
		if !inv.WantAccepted() {
			continue
		}
		platformIDs[result.TransactionID] = true
		if known, ok := customers[inv.Identifier()]; ok && known != result.CustomerID {
			t.Errorf("invoice %s: customer_id %s, but %s got %s before",
				inv.No, result.CustomerID, inv.Identifier(), known)
		}
		customers[inv.Identifier()] = result.CustomerID
	}
	if got := len(platformIDs); got != want.Accepted {
		t.Errorf("distinct platform ids = %d, want one per accepted invoice, %d", got, want.Accepted)
	}
	distinctCustomerIDs := len(slices.Compact(slices.Sorted(maps.Values(customers))))
	if distinctCustomerIDs != want.CustomersCreated {
		t.Errorf("distinct customer_id values = %d, want %d",
			distinctCustomerIDs, want.CustomersCreated)
	}
	checkStore(t, "after the first replay", store, want.CustomersCreated, want.Accepted)

	second := replay(t, target, clientID, secret, file)
	checkSummary(t, "second replay", second, want, true)
	checkResponses(t, "second replay", sample.Invoices, second.responses, true)
	for line, inv := range sample.Invoices {
		before, after := first.responses[line+1].Result, second.responses[line+1].Result
		if inv.WantAccepted() && (after.TransactionID != before.TransactionID ||
			after.CustomerID != before.CustomerID) {
			t.Errorf("second replay, invoice %s: got ids %d %s, want the first replay's %d %s",
				inv.No, after.TransactionID, after.CustomerID,
				before.TransactionID, before.CustomerID)
		}
	}
	checkStore(t, "after the second replay", store, want.CustomersCreated, want.Accepted)
	checkCustomerTotals(t, target, clientID, secret, sample)
}

// replayOutcome is what one replay of the sample returned.
type replayOutcome struct {
	summary   partnerapi.Summary
	responses map[int]partnerapi.Response // by line number, the first line being 1
}

// replay posts the purchases in file through the replay client with a client of its own,
// so each replay gets its own access token.
func replay(t *testing.T, target target, clientID, secret, file string) replayOutcome {
	t.Helper()

	lines, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer lines.Close() // read only

	outcome := replayOutcome{responses: map[int]partnerapi.Response{}}
	replayer := partnerapi.Replayer{
		Client:      partnerapi.New(target.partnerURL, clientID, secret, nil),
		Concurrency: replayConcurrency,
		OnResponse: func(line int, resp partnerapi.Response) {
			outcome.responses[line] = resp
		},
	}
	outcome.summary, err = replayer.Run(t.Context(), lines)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	return outcome
}

// checkSummary compares a replay's totals with the counts computed from the CSV. Retries
// depend on timing, so they are counted from the responses. An attempt that times out
// with a 503 may have recorded its purchase. Its retry then comes back as a replay, so
// such purchases are counted as replayed.
func checkSummary(
	t *testing.T,
	name string,
	outcome replayOutcome,
	want retail.Expected,
	wantReplayed bool,
) {
	t.Helper()

	retries, retriedReplays := 0, 0
	for _, resp := range outcome.responses {
		retries += max(resp.Attempts-1, 0)
		if resp.Result.Replayed && resp.Attempts > 1 {
			retriedReplays++
		}
	}
	counts := partnerapi.Counts{
		Lines:    want.Invoices,
		Accepted: want.Accepted - retriedReplays,
		Replayed: retriedReplays,
		Rejected: want.Rejected,
		Retries:  retries,
	}
	if wantReplayed {
		counts.Accepted, counts.Replayed = 0, want.Accepted
	}

	got := outcome.summary
	if got.Counts != counts {
		t.Errorf("%s: counts\n got %+v\nwant %+v", name, got.Counts, counts)
	}
	wantStatus := map[int]int{http.StatusBadRequest: want.Rejected}
	if !maps.Equal(got.RejectedByStatus, wantStatus) {
		t.Errorf("%s: rejected by status %v, want %v", name, got.RejectedByStatus, wantStatus)
	}
	wantFields := []partnerapi.FieldCount{
		{Field: missingCustomer.Field, Reason: missingCustomer.Reason, Count: want.WithoutCustomer},
		{Field: negativeAmount.Field, Reason: negativeAmount.Reason, Count: want.NegativeTotals},
	}
	slices.SortFunc(wantFields, func(a, b partnerapi.FieldCount) int { return b.Count - a.Count })
	if !slices.Equal(got.RejectedByField, wantFields) {
		t.Errorf("%s: rejected by field\n got %+v\nwant %+v", name, got.RejectedByField, wantFields)
	}
}

// checkResponses checks the response to each invoice's purchase: 200 with replayed as
// wantReplayed for an accepted invoice, and otherwise a 400 with the invoice's field
// errors. A purchase that was sent more than once may come back as replayed in any case.
func checkResponses(
	t *testing.T,
	name string,
	invoices []retail.Invoice,
	responses map[int]partnerapi.Response,
	wantReplayed bool,
) {
	t.Helper()

	if len(responses) != len(invoices) {
		t.Errorf("%s: %d responses, want one per invoice, %d", name, len(responses), len(invoices))
	}
	for line, inv := range invoices {
		got, ok := responses[line+1]
		if !ok {
			t.Errorf("%s, invoice %s: no response", name, inv.No)
			continue
		}
		var wantErrors []partnerapi.FieldError
		if inv.CustomerID == "" {
			wantErrors = append(wantErrors, missingCustomer)
		}
		if inv.Cents < 0 {
			wantErrors = append(wantErrors, negativeAmount)
		}

		wantStatus := http.StatusOK
		if len(wantErrors) > 0 {
			wantStatus = http.StatusBadRequest
		}
		if got.Status != wantStatus {
			t.Errorf("%s, invoice %s: status %d, want %d", name, inv.No, got.Status, wantStatus)
		}
		if !slices.Equal(got.Errors, wantErrors) {
			t.Errorf("%s, invoice %s: errors %+v, want %+v", name, inv.No, got.Errors, wantErrors)
		}
		retriedReplay := got.Result.Replayed && got.Attempts > 1
		if wantStatus == http.StatusOK && got.Result.Replayed != wantReplayed && !retriedReplay {
			t.Errorf("%s, invoice %s: replayed %t, want %t",
				name, inv.No, got.Result.Replayed, wantReplayed)
		}
	}
}

// connectStore opens a MongoDB client on txsync's store, closed when the test ends.
func connectStore(t *testing.T, uri string) *mongo.Database {
	t.Helper()

	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(10 * time.Second))
	if err != nil {
		t.Fatalf("connect to store %s: %v", uri, err)
	}
	t.Cleanup(func() {
		_ = client.Disconnect(t.Context()) // a probe client; nothing to clean up on failure
	})
	return client.Database(database)
}

// checkStore counts the merchant's customers and transactions in the store.
func checkStore(t *testing.T, name string, db *mongo.Database, wantCustomers, wantTransactions int) {
	t.Helper()

	for collection, want := range map[string]int{
		"customers":    wantCustomers,
		"transactions": wantTransactions,
	} {
		got, err := db.Collection(collection).CountDocuments(t.Context(),
			bson.D{{Key: "merchant_id", Value: merchant}})
		if err != nil {
			t.Fatalf("%s: count %s: %v", name, collection, err)
		}
		if got != int64(want) {
			t.Errorf("%s: %d %s of merchant %s, want %d", name, got, collection, merchant, want)
		}
	}
}

// writePurchases writes the invoices' purchases as JSON Lines into a temporary file.
func writePurchases(t *testing.T, invoices []retail.Invoice) string {
	t.Helper()

	var lines bytes.Buffer
	if err := retail.WriteJSONL(&lines, invoices); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "retail.jsonl")
	if err := os.WriteFile(path, lines.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// createClient creates a partner client of merchant through the admin API.
func createClient(t *testing.T, target target) (clientID, secret string) {
	t.Helper()

	body, err := json.Marshal(map[string]string{"merchant": merchant, "name": "retail replay"})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		target.adminURL+"/admin/clients", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+target.adminToken)

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /admin/clients: %v", err)
	}
	defer resp.Body.Close() // decoded in full below
	var created struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatalf("POST /admin/clients: decode response: %v", err)
	}
	if resp.StatusCode != http.StatusCreated || created.ClientID == "" || created.ClientSecret == "" {
		t.Fatalf("POST /admin/clients: got status %d and client %q, want 201 with an id and a secret",
			resp.StatusCode, created.ClientID)
	}
	return created.ClientID, created.ClientSecret
}
