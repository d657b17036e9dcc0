package bootstrap

import (
	"context"
	"sync/atomic"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/purchase"
)

// newDiscardingRecorder returns a RecordTransaction that stores nothing, for txsync bench
// --target noop: every purchase is new, every customer is new, and platform ids come from
// a counter in memory. A resent purchase is therefore recorded again instead of replayed.
func newDiscardingRecorder(clock application.Clock) *application.RecordTransaction {
	transactions, customers := discardedTransactions{}, discardedCustomers{}
	return application.NewRecordTransaction(transactions, customers, &memoryIDs{}, clock).
		WithBulk(transactions, customers)
}

// discardedTransactions accepts every purchase and finds none.
type discardedTransactions struct{}

func (discardedTransactions) Insert(context.Context, purchase.Purchase) error { return nil }

func (discardedTransactions) FindByTransactionID(
	context.Context,
	string,
	string,
) (purchase.Purchase, error) {
	return purchase.Purchase{}, application.ErrNotFound
}

func (discardedTransactions) InsertMany(_ context.Context, purchases []purchase.Purchase) []error {
	return make([]error, len(purchases))
}

func (discardedTransactions) FindManyByTransactionID(
	context.Context,
	string,
	[]string,
) (map[string]purchase.Purchase, error) {
	return map[string]purchase.Purchase{}, nil
}

// discardedCustomers accepts every customer as new.
type discardedCustomers struct{}

func (discardedCustomers) Create(context.Context, customer.Customer) (bool, error) {
	return true, nil
}

func (discardedCustomers) CreateMany(
	_ context.Context,
	customers []customer.Customer,
) ([]bool, error) {
	created := make([]bool, len(customers))
	for i := range created {
		created[i] = true
	}
	return created, nil
}

// memoryIDs hands out platform ids 1, 2, 3, ... from a counter in memory.
type memoryIDs struct {
	last atomic.Int64
}

func (m *memoryIDs) NextTransactionID(context.Context) (int64, error) {
	return m.last.Add(1), nil
}
