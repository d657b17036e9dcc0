package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// BulkTransactionRepository stores many purchases with one write.
type BulkTransactionRepository interface {
	// InsertMany stores purchases and returns each one's outcome, in order: nil, an error
	// wrapping ErrDuplicate when its client already recorded its transaction id, or another
	// error.
	InsertMany(ctx context.Context, purchases []purchase.Purchase) []error
	// FindManyByTransactionID returns the purchases clientID recorded under transactionIDs,
	// by transaction id.
	FindManyByTransactionID(ctx context.Context, clientID string, transactionIDs []string) (map[string]purchase.Purchase, error)
}

// BulkCustomerRepository stores many customers with one write.
type BulkCustomerRepository interface {
	// CreateMany stores customers and reports, in order, whether each was new.
	CreateMany(ctx context.Context, customers []customer.Customer) ([]bool, error)
}

// ItemResult is the outcome of one purchase of RecordMany: Recorded, or Err as Record
// would have returned it.
type ItemResult struct {
	Recorded Recorded
	Err      error
}

// RecordMany records the purchases details describe for by, with the rules of Record for
// each, in a few writes for all of them: one insert of the new purchases, one read of those
// recorded before, one insert of the customers. Purchases with the same transaction id are
// judged in order: the first decides, and the others replay it or conflict with it.
func (r *RecordTransaction) RecordMany(
	ctx context.Context,
	by partner.Principal,
	details []purchase.Details,
) []ItemResult {
	results := make([]ItemResult, len(details))
	if r.bulkTransactions == nil || r.bulkCustomers == nil {
		for i, d := range details {
			results[i].Recorded, results[i].Err = r.Record(ctx, by, d)
		}
		return results
	}
	first := make(map[string]int) // transaction id → index of its first item
	var firsts []int
	for i, d := range details {
		if _, seen := first[d.TransactionID]; !seen {
			first[d.TransactionID] = i
			firsts = append(firsts, i)
		}
	}

	stored, err := r.storeFirsts(ctx, by, details, firsts, results)
	if err != nil {
		for i := range results {
			results[i] = ItemResult{Err: err}
		}
		return results
	}
	r.createCustomers(ctx, stored, firsts, results)

	// Later items with a transaction id of an earlier item replay it or conflict with it.
	for i, d := range details {
		j := first[d.TransactionID]
		if i == j {
			continue
		}
		if p, ok := stored[j]; ok {
			results[i] = againstRecorded(p, d)
		} else {
			results[i] = ItemResult{Err: results[j].Err}
		}
	}
	return results
}

// storeFirsts inserts the first item of each transaction id and loads the purchases that
// were recorded before. It returns the stored purchase of each first item that has one, by
// index; the others get their error in results. An error fails the whole batch.
func (r *RecordTransaction) storeFirsts(
	ctx context.Context,
	by partner.Principal,
	details []purchase.Details,
	firsts []int,
	results []ItemResult,
) (map[int]purchase.Purchase, error) {
	now := r.clock.Now()
	purchases := make([]purchase.Purchase, len(firsts))
	for k, i := range firsts {
		id, err := r.ids.NextTransactionID(ctx)
		if err != nil {
			return nil, fmt.Errorf("allocate platform id: %w", err)
		}
		purchases[k] = purchase.New(id, by, details[i], now)
	}

	stored := make(map[int]purchase.Purchase, len(firsts))
	var duplicates []string
	for k, err := range r.bulkTransactions.InsertMany(ctx, purchases) {
		i := firsts[k]
		switch {
		case err == nil:
			stored[i] = purchases[k]
			results[i] = ItemResult{Recorded: Recorded{PlatformID: purchases[k].PlatformID, CustomerID: purchases[k].CustomerID}}
		case errors.Is(err, ErrDuplicate):
			duplicates = append(duplicates, details[i].TransactionID)
		default:
			results[i] = ItemResult{Err: err}
		}
	}
	if len(duplicates) == 0 {
		return stored, nil
	}

	recorded, err := r.bulkTransactions.FindManyByTransactionID(ctx, by.ClientID, duplicates)
	if err != nil {
		return nil, fmt.Errorf("load recorded transactions: %w", err)
	}
	for _, i := range firsts {
		if _, done := stored[i]; done || results[i].Err != nil {
			continue
		}
		p, ok := recorded[details[i].TransactionID]
		if !ok {
			results[i] = ItemResult{Err: fmt.Errorf("transaction %q: duplicate but not found: %w",
				details[i].TransactionID, ErrStoreUnavailable)}
			continue
		}
		results[i] = againstRecorded(p, details[i])
		if results[i].Err == nil {
			stored[i] = p
		}
	}
	return stored, nil
}

// againstRecorded returns the outcome of details for the purchase recorded before under
// their transaction id: a replay when they describe it, and a conflict when they do not.
func againstRecorded(recorded purchase.Purchase, details purchase.Details) ItemResult {
	if fields := recorded.Details.Diff(details); len(fields) > 0 {
		return ItemResult{Err: &ConflictError{Fields: fields, PlatformID: recorded.PlatformID}}
	}
	return ItemResult{Recorded: Recorded{
		PlatformID: recorded.PlatformID,
		CustomerID: recorded.CustomerID,
		Replayed:   true,
	}}
}

// createCustomers creates the customers of the stored purchases, each once, and marks the
// first item of each new customer. A failure fails those items: their purchases are stored,
// and a retry creates the customers, as with Record.
func (r *RecordTransaction) createCustomers(
	ctx context.Context,
	stored map[int]purchase.Purchase,
	firsts []int,
	results []ItemResult,
) {
	var customers []customer.Customer
	var owners []int // the first item of each customer
	seen := make(map[uuid.UUID]bool)
	for _, i := range firsts {
		p, ok := stored[i]
		if !ok || seen[p.CustomerID] {
			continue
		}
		seen[p.CustomerID] = true
		customers = append(customers, customer.New(p.MerchantID, p.Customer, p.ReceivedAt))
		owners = append(owners, i)
	}

	created, err := r.bulkCustomers.CreateMany(ctx, customers)
	if err != nil {
		for _, i := range firsts {
			if _, ok := stored[i]; ok {
				results[i] = ItemResult{Err: fmt.Errorf("create customers: %w", err)}
				delete(stored, i)
			}
		}
		return
	}
	for k, i := range owners {
		results[i].Recorded.CustomerCreated = created[k]
	}
}
