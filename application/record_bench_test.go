package application_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// memoryStore keeps purchases and customers in maps, for measuring the use case alone.
type memoryStore struct {
	mu        sync.Mutex
	purchases map[string]purchase.Purchase
	customers map[string]bool
	nextID    atomic.Int64
}

func newMemoryStore() *memoryStore {
	return &memoryStore{purchases: map[string]purchase.Purchase{}, customers: map[string]bool{}}
}

func (m *memoryStore) Insert(_ context.Context, p purchase.Purchase) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := p.ClientID + "/" + p.TransactionID
	if _, ok := m.purchases[key]; ok {
		return application.ErrDuplicate
	}
	m.purchases[key] = p
	return nil
}

func (m *memoryStore) FindByTransactionID(_ context.Context, clientID, transactionID string) (purchase.Purchase, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.purchases[clientID+"/"+transactionID]
	if !ok {
		return purchase.Purchase{}, application.ErrNotFound
	}
	return p, nil
}

func (m *memoryStore) Create(_ context.Context, c customer.Customer) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := c.ID.String()
	if m.customers[key] {
		return false, nil
	}
	m.customers[key] = true
	return true, nil
}

func (m *memoryStore) NextTransactionID(context.Context) (int64, error) {
	return m.nextID.Add(1), nil
}

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// BenchmarkRecord measures the use case on an in-memory store: new purchases and replays.
func BenchmarkRecord(b *testing.B) {
	store := newMemoryStore()
	record := application.NewRecordTransaction(store, store, store, fixedClock{})
	by := partner.Principal{ClientID: "c", MerchantID: "m"}
	nick := "ethan"
	details := purchase.Details{
		Customer:       customer.Identifier{Type: customer.Phone, Value: "+8613592619028"},
		PurchaseTime:   time.Date(2016, 3, 24, 2, 10, 0, 0, time.UTC),
		Amount:         1410,
		CouponDetailID: 123456,
		Profile:        customer.Profile{NickName: &nick},
	}
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = "T-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}

	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// The first 1024 are new, the rest replay them.
		details.TransactionID = ids[i%len(ids)]
		if _, err := record.Record(context.Background(), by, details); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
