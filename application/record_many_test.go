package application_test

import (
	"context"
	"errors"
	"testing"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

func (m *memoryStore) InsertMany(ctx context.Context, purchases []purchase.Purchase) []error {
	errs := make([]error, len(purchases))
	for i, p := range purchases {
		errs[i] = m.Insert(ctx, p)
	}
	return errs
}

func (m *memoryStore) FindManyByTransactionID(ctx context.Context, clientID string, ids []string) (map[string]purchase.Purchase, error) {
	found := map[string]purchase.Purchase{}
	for _, id := range ids {
		if p, err := m.FindByTransactionID(ctx, clientID, id); err == nil {
			found[id] = p
		}
	}
	return found, nil
}

func (m *memoryStore) CreateMany(ctx context.Context, customers []customer.Customer) ([]bool, error) {
	created := make([]bool, len(customers))
	for i, c := range customers {
		created[i], _ = m.Create(ctx, c)
	}
	return created, nil
}

func TestRecordMany(t *testing.T) {
	t.Parallel()
	by := partner.Principal{ClientID: "c", MerchantID: "m"}
	item := func(id string, amount purchase.Money, who string) purchase.Details {
		return purchase.Details{
			TransactionID: id,
			Customer:      customer.Identifier{Type: customer.WeChat, Value: who},
			Amount:        amount,
		}
	}

	for _, bulk := range []bool{true, false} {
		store := newMemoryStore()
		record := application.NewRecordTransaction(store, store, store, fixedClock{})
		if bulk {
			record = record.WithBulk(store, store)
		}
		earlier, err := record.Record(context.Background(), by, item("old", 100, "a"))
		if err != nil {
			t.Fatal(err)
		}

		results := record.RecordMany(context.Background(), by, []purchase.Details{
			item("x", 1, "a"),     // new, customer a exists
			item("y", 2, "b"),     // new, creates customer b
			item("x", 1, "a"),     // replays the first item
			item("x", 9, "a"),     // conflicts with the first item
			item("old", 100, "a"), // replays the earlier purchase
			item("z", 3, "b"),     // new, customer b was just created
		})

		wantReplayed := []bool{false, false, true, false, true, false}
		for i, r := range results {
			var conflict *application.ConflictError
			if i == 3 {
				if !errors.As(r.Err, &conflict) || conflict.Fields[0] != "purchase_amount" {
					t.Errorf("bulk %t, item 3: err = %v, want a conflict on purchase_amount", bulk, r.Err)
				}
				continue
			}
			if r.Err != nil {
				t.Errorf("bulk %t, item %d: %v", bulk, i, r.Err)
				continue
			}
			if r.Recorded.Replayed != wantReplayed[i] {
				t.Errorf("bulk %t, item %d: replayed %t, want %t", bulk, i, r.Recorded.Replayed, wantReplayed[i])
			}
		}
		if results[2].Recorded.PlatformID != results[0].Recorded.PlatformID {
			t.Errorf("bulk %t: replay got id %d, want %d", bulk, results[2].Recorded.PlatformID, results[0].Recorded.PlatformID)
		}
		if results[4].Recorded.PlatformID != earlier.PlatformID {
			t.Errorf("bulk %t: replay of the earlier purchase got id %d, want %d", bulk, results[4].Recorded.PlatformID, earlier.PlatformID)
		}
		if !results[1].Recorded.CustomerCreated || results[5].Recorded.CustomerCreated || results[0].Recorded.CustomerCreated {
			t.Errorf("bulk %t: customer created = %t %t %t, want only item 1 to create one", bulk,
				results[0].Recorded.CustomerCreated, results[1].Recorded.CustomerCreated, results[5].Recorded.CustomerCreated)
		}
		if n := len(store.purchases); n != 4 {
			t.Errorf("bulk %t: %d purchases stored, want 4", bulk, n)
		}
	}
}
