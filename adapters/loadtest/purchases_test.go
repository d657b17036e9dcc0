package loadtest_test

import (
	"encoding/json"
	"math"
	"sync"
	"testing"

	"github.com/txsync/txsync/adapters/loadtest"
)

// generated is a purchase body as the tests read it back.
type generated struct {
	TransactionID      string      `json:"transaction_id"`
	CustomerIdentifier string      `json:"customer_identifier"`
	IdentifierType     int         `json:"identifier_type"`
	PurchaseAmount     json.Number `json:"purchase_amount"`
}

// isBad reports whether p breaks one of the rules the generator breaks on purpose.
func (p generated) isBad() bool {
	amount, _ := p.PurchaseAmount.Float64()
	fen := amount * 100
	return amount < 0 || math.Abs(fen-math.Round(fen)) > 1e-6 || p.IdentifierType > 3
}

func TestGenerator_Next_mix(t *testing.T) {
	t.Parallel()
	const n = 4000
	mix := loadtest.Mix{RetryShare: 0.1, BadShare: 0.05, ReturningShare: 0.5}
	gen := loadtest.NewGenerator(mix, 42)

	bodies := map[string]int{}      // body → times generated
	bodyByID := map[string]string{} // transaction_id → body
	customers := map[string]int{}   // customer_identifier → valid first sends
	bad := 0
	for range n {
		body, err := gen.Next()
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		var p generated
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("Next returned invalid JSON %s: %v", body, err)
		}
		bodies[string(body)]++
		if bodies[string(body)] > 1 {
			continue // a retry
		}
		if earlier, ok := bodyByID[p.TransactionID]; ok {
			t.Fatalf("transaction_id %s has two bodies:\n%s\n%s", p.TransactionID, earlier, body)
		}
		bodyByID[p.TransactionID] = string(body)
		if p.isBad() {
			bad++
			continue
		}
		customers[p.CustomerIdentifier]++
	}

	sent := gen.Sent()
	if sent.Total() != n {
		t.Errorf("Sent().Total() = %d, want %d", sent.Total(), n)
	}
	if retries := n - len(bodies); sent.Retries != retries {
		t.Errorf("Sent().Retries = %d, want %d bodies sent again", sent.Retries, retries)
	}
	if sent.Bad != bad {
		t.Errorf("Sent().Bad = %d, want %d invalid bodies", sent.Bad, bad)
	}
	if sent.New != len(customers) {
		t.Errorf("Sent().New = %d, want %d distinct customers", sent.New, len(customers))
	}
	for _, share := range []struct {
		name      string
		got, want float64
	}{
		{"retries", float64(sent.Retries) / n, mix.RetryShare},
		{"bad", float64(sent.Bad) / n, mix.BadShare},
		{"returning", float64(sent.Returning) / float64(sent.New+sent.Returning), mix.ReturningShare},
	} {
		// The seed is fixed, so the shares are too; the bound only documents the tolerance.
		if math.Abs(share.got-share.want) > 0.03 {
			t.Errorf("share of %s = %.3f, want %.2f ± 0.03", share.name, share.got, share.want)
		}
	}
}

func TestGenerator_NextBatch(t *testing.T) {
	t.Parallel()
	gen := loadtest.NewGenerator(loadtest.Mix{}, 1)

	body, err := gen.NextBatch(25)
	if err != nil {
		t.Fatalf("NextBatch: %v", err)
	}

	var batch struct {
		Transactions []generated `json:"transactions"`
	}
	if err := json.Unmarshal(body, &batch); err != nil {
		t.Fatalf("NextBatch returned invalid JSON %s: %v", body, err)
	}
	if len(batch.Transactions) != 25 {
		t.Errorf("batch has %d purchases, want 25", len(batch.Transactions))
	}
	if got := gen.Sent(); got.New != 25 || got.Total() != 25 {
		t.Errorf("Sent() = %+v, want 25 new purchases", got)
	}
}

func TestGenerator_Next_concurrentIDsUnique(t *testing.T) {
	t.Parallel()
	gen := loadtest.NewGenerator(loadtest.Mix{ReturningShare: 0.5}, 3)

	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for worker := range 8 {
		wg.Go(func() {
			for range 200 {
				body, err := gen.Next()
				if err != nil {
					t.Errorf("worker %d: Next: %v", worker, err)
					return
				}
				var p generated
				if err := json.Unmarshal(body, &p); err != nil {
					t.Errorf("worker %d: invalid JSON %s", worker, body)
					return
				}
				mu.Lock()
				if ids[p.TransactionID] {
					t.Errorf("transaction_id %s generated twice", p.TransactionID)
				}
				ids[p.TransactionID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	if want := 8 * 200; len(ids) != want {
		t.Errorf("got %d distinct transaction ids, want %d", len(ids), want)
	}
	if got := gen.Sent().Total(); got != 8*200 {
		t.Errorf("Sent().Total() = %d, want %d", got, 8*200)
	}
}
