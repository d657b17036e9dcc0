package bootstrap

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// bulkWriteTimeout bounds one InsertMany or CreateMany call, so a store that stops
// responding ends the run with an error instead of holding it.
const bulkWriteTimeout = 30 * time.Second

// bulkLoader builds purchases of one merchant as domain values and writes them with the
// store's bulk methods, as RecordMany does: the purchases with InsertMany, then their new
// customers with CreateMany.
type bulkLoader struct {
	transactions application.BulkTransactionRepository
	customers    application.BulkCustomerRepository
	ids          application.IDSource
	by           partner.Principal
	// customerCount is how many customers the purchases spread over: purchase n belongs
	// to customer n mod customerCount, which is created with purchase n when n is below
	// customerCount. Zero gives each purchase a new customer of its own.
	customerCount int64
}

// newBulkLoader returns a loader for a new merchant and client, named prefix and a random
// suffix, so the purchases never collide with earlier ones in the same store.
func newBulkLoader(store *openedStore, prefix string, customerCount int64) bulkLoader {
	name := prefix + "-" + strings.ToLower(rand.Text()[:10])
	return bulkLoader{
		transactions:  store.Transactions(),
		customers:     store.Customers(),
		ids:           store.IDBlocks(),
		by:            partner.Principal{ClientID: name, MerchantID: name},
		customerCount: customerCount,
	}
}

// bulkCounts are the documents a bulk load stored.
type bulkCounts struct {
	purchases atomic.Int64
	customers atomic.Int64
}

// writeBatch builds purchases first to first+count-1, inserts them, then creates their
// new customers. It adds what it stored to counts; a batch with any failed purchase is an
// error.
func (l bulkLoader) writeBatch(ctx context.Context, first, count int64, counts *bulkCounts) error {
	now := time.Now().UTC().Truncate(time.Millisecond)
	purchases := make([]purchase.Purchase, 0, count)
	var customers []customer.Customer
	for n := first; n < first+count; n++ {
		p, err := l.purchase(ctx, n, now)
		if err != nil {
			return err
		}
		purchases = append(purchases, p)
		if l.customerCount == 0 || n < l.customerCount {
			customers = append(customers, customer.New(p.MerchantID, p.Customer, now))
		}
	}

	ctx, cancel := context.WithTimeout(ctx, bulkWriteTimeout)
	defer cancel()
	if err := errors.Join(l.transactions.InsertMany(ctx, purchases)...); err != nil {
		return fmt.Errorf("insert purchases %d to %d of client %s: %w",
			first, first+count-1, l.by.ClientID, err)
	}
	counts.purchases.Add(count)

	created, err := l.customers.CreateMany(ctx, customers)
	if err != nil {
		return fmt.Errorf("create the customers of purchases %d to %d of merchant %s: %w",
			first, first+count-1, l.by.MerchantID, err)
	}
	for _, isNew := range created {
		if isNew {
			counts.customers.Add(1)
		}
	}
	return nil
}

// purchase builds purchase n: a WeChat customer with a nickname, an amount from 1.00 to
// 999.99 yuan and a purchase time in the day before now.
func (l bulkLoader) purchase(
	ctx context.Context,
	n int64,
	now time.Time,
) (purchase.Purchase, error) {
	customerNumber := n
	if l.customerCount > 0 {
		customerNumber = n % l.customerCount
	}
	// 28 characters, the length of a real openid.
	identifier, err := customer.NewIdentifier(customer.WeChat,
		fmt.Sprintf("oBench%022d", customerNumber))
	if err != nil {
		return purchase.Purchase{}, fmt.Errorf("build the identifier of customer %d: %w",
			customerNumber, err)
	}
	id, err := l.ids.NextTransactionID(ctx)
	if err != nil {
		return purchase.Purchase{}, fmt.Errorf("allocate platform id: %w", err)
	}

	nickName := "buyer " + strconv.FormatInt(customerNumber, 10)
	details := purchase.Details{
		TransactionID: "bulk-" + strconv.FormatInt(n, 10),
		Customer:      identifier,
		PurchaseTime:  now.Add(-time.Duration(n%86_400) * time.Second).Truncate(time.Second),
		Amount:        purchase.Money(100 + n*7919%99_900),
		Profile:       customer.Profile{NickName: &nickName},
	}
	return purchase.New(id, l.by, details, now), nil
}

// bulkRun is one bulk load: writers goroutines write batches of batchSize purchases until
// total purchases are stored, when total is above 0, or until the deadline, when it is
// not zero. A batch in flight at the deadline completes and counts.
type bulkRun struct {
	loader    bulkLoader
	writers   int
	batchSize int64
	total     int64
	deadline  time.Time
}

// run writes the batches and returns the first error of any writer, after the others
// stopped. When ctx ends, the writers stop and run returns an error wrapping ctx's error.
func (r bulkRun) run(ctx context.Context, counts *bulkCounts) error {
	writeCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	var next atomic.Int64 // the first purchase of the next batch
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range r.writers {
		wg.Go(func() {
			for writeCtx.Err() == nil {
				first, count, ok := r.claim(&next)
				if !ok {
					return
				}
				if err := r.loader.writeBatch(writeCtx, first, count, counts); err != nil {
					// The other writers fail their batch in flight and stop.
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()

	if ctx.Err() != nil {
		return fmt.Errorf("bulk load interrupted after %d purchases: %w",
			counts.purchases.Load(), ctx.Err())
	}
	return firstErr
}

// claim reserves the next batch, or returns false when the load is done.
func (r bulkRun) claim(next *atomic.Int64) (first, count int64, ok bool) {
	if !r.deadline.IsZero() && !time.Now().Before(r.deadline) {
		return 0, 0, false
	}
	first = next.Add(r.batchSize) - r.batchSize
	count = r.batchSize
	if r.total > 0 {
		count = min(count, r.total-first)
	}
	return first, count, count > 0
}
