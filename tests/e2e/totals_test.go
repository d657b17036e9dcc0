package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/txsync/txsync/tests/retail"
)

// customerTotals are the totals of one customer as the sample defines them.
type customerTotals struct {
	count       int
	cents       int64
	first, last time.Time
}

// checkCustomerTotals reads every customer back through GET /tp/services/customer and
// compares its totals with the ones the test adds up from the CSV itself.
func checkCustomerTotals(t *testing.T, target target, clientID, secret string, sample retail.Sample) {
	t.Helper()
	want := map[string]*customerTotals{}
	for _, inv := range sample.Invoices {
		if !inv.WantAccepted() {
			continue
		}
		totals := want[inv.Identifier()]
		if totals == nil {
			totals = &customerTotals{first: inv.Time, last: inv.Time}
			want[inv.Identifier()] = totals
		}
		totals.count++
		totals.cents += inv.Cents
		if inv.Time.Before(totals.first) {
			totals.first = inv.Time
		}
		if inv.Time.After(totals.last) {
			totals.last = inv.Time
		}
	}

	token := accessToken(t, target, clientID, secret)
	client := &http.Client{Timeout: 30 * time.Second}
	for identifier, totals := range want {
		query := url.Values{"identifier_type": {"1"}, "customer_identifier": {identifier}}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
			target.partnerURL+"/tp/services/customer?"+query.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("read customer %s: %v", identifier, err)
		}
		var body struct {
			Result struct {
				Totals struct {
					Count          int         `json:"transaction_count"`
					PurchaseAmount json.Number `json:"purchase_amount"`
					First          string      `json:"first_purchase_time"`
					Last           string      `json:"last_purchase_time"`
				} `json:"totals"`
			} `json:"result"`
		}
		dec := json.NewDecoder(resp.Body)
		dec.UseNumber()
		err = dec.Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("read customer %s: status %d, %v", identifier, resp.StatusCode, err)
		}

		got := body.Result.Totals
		const layout = "2006-01-02 15:04:05"
		if got.Count != totals.count {
			t.Errorf("customer %s: transaction_count %d, want %d", identifier, got.Count, totals.count)
		}
		if string(got.PurchaseAmount) != retail.FormatCents(totals.cents) {
			t.Errorf("customer %s: purchase_amount %s, want %s", identifier, got.PurchaseAmount, retail.FormatCents(totals.cents))
		}
		if got.First != totals.first.Format(layout) || got.Last != totals.last.Format(layout) {
			t.Errorf("customer %s: first and last %q %q, want %q %q", identifier, got.First, got.Last,
				totals.first.Format(layout), totals.last.Format(layout))
		}
	}
}

// accessToken gets a token for the client with the client-credentials grant.
func accessToken(t *testing.T, target target, clientID, secret string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, target.partnerURL+"/tp/oauth/token",
		strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request token: %v", err)
	}
	defer resp.Body.Close()
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&token); err != nil || token.AccessToken == "" {
		t.Fatalf("request token: status %d, %v", resp.StatusCode, err)
	}
	return token.AccessToken
}
