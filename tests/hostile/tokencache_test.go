package hostile_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// purchaseBody returns a purchase of the original example's customer with transactionID.
func purchaseBody(transactionID string) string {
	return `{"transaction_id":"` + transactionID +
		`","customer_identifier":"13592619028","identifier_type":3,"purchase_amount":14.1}`
}

// decodePurchaseResult returns the result of a 200 purchase reply, failing the test for
// any other reply.
func decodePurchaseResult(t *testing.T, r reply) purchaseResult {
	t.Helper()
	if r.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", r.Code, r.Raw)
	}
	var result purchaseResult
	if err := json.Unmarshal(r.Result, &result); err != nil {
		t.Fatalf("decode result: %v: %s", err, r.Raw)
	}
	return result
}

// TestTokenCache_otherTokensAfterValidOne sends a valid token over HTTP and then other
// tokens of the same length, as keep-alive connections and pooled request buffers let
// them land in the memory the valid one occupied. Each must be judged on its own bytes.
func TestTokenCache_otherTokensAfterValidOne(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	alice := servicetest.NewClient(t, srv.svc, "merchant-a")
	bob := servicetest.NewClient(t, srv.svc, "merchant-b")
	if len(alice.Token) != len(bob.Token) {
		t.Fatalf("token lengths = %d and %d, want equal for this attack",
			len(alice.Token), len(bob.Token))
	}

	first := decodePurchaseResult(t, postPurchase(t, srv.partnerURL, alice.Token, purchaseBody("T-1")))

	garbage := strings.Repeat("x", len(alice.Token))
	tampered := alice.Token[:len(alice.Token)-2] + "xx"
	for name, token := range map[string]string{"garbage": garbage, "tampered": tampered} {
		r := postPurchase(t, srv.partnerURL, token, purchaseBody("T-"+name))
		if r.Code != http.StatusUnauthorized {
			t.Errorf("%s token: status = %d, want 401: %s", name, r.Code, r.Raw)
		}
	}

	second := decodePurchaseResult(t, postPurchase(t, srv.partnerURL, bob.Token, purchaseBody("T-1")))
	if second.Replayed {
		t.Errorf("merchant b's purchase replayed = true, want a new purchase of its own")
	}
	if second.TransactionID == first.TransactionID {
		t.Errorf("merchant b got transaction_id %d, want one other than merchant a's %d",
			second.TransactionID, first.TransactionID)
	}
	if second.CustomerID == first.CustomerID {
		t.Errorf("merchant b got customer %s, want one other than merchant a's",
			second.CustomerID)
	}
}
