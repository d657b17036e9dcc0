// Package application holds txsync's use cases and the ports they need from the outside
// world: stores, token handling, a clock and an id source.
package application

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// ErrDuplicate is returned by a repository when a record with the same key already exists.
var ErrDuplicate = errors.New("duplicate key")

// ErrNotFound is returned by a repository when no record has the requested key.
var ErrNotFound = errors.New("not found")

// ErrStoreUnavailable is returned when the store cannot be reached or does not respond in
// time. Nothing was written, or what was written is complete, so a retry is safe.
var ErrStoreUnavailable = errors.New("store unavailable")

// ConflictError is returned when a transaction id was already recorded with other content.
type ConflictError struct {
	// Fields are the wire names of the fields that differ from the recorded purchase.
	Fields     []string
	PlatformID int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("transaction already recorded as %d with other content in %v",
		e.PlatformID, e.Fields)
}

// TransactionRepository stores purchases.
type TransactionRepository interface {
	// Insert stores p durably, or returns ErrDuplicate when p's client already recorded
	// p's transaction id.
	Insert(ctx context.Context, p purchase.Purchase) error
	// FindByTransactionID returns the purchase clientID recorded as transactionID, or
	// ErrNotFound.
	FindByTransactionID(ctx context.Context, clientID, transactionID string) (purchase.Purchase, error)
}

// CustomerRepository stores customers.
type CustomerRepository interface {
	// Create stores c durably and reports whether it was new; an existing customer with
	// c's id is left as it is.
	Create(ctx context.Context, c customer.Customer) (bool, error)
}

// IDSource hands out platform transaction ids: positive, below 2^53, never handed out
// twice, also across instances that share a store.
type IDSource interface {
	NextTransactionID(ctx context.Context) (int64, error)
}

// Clock returns the current time.
type Clock interface {
	Now() time.Time
}

// Recorded is the outcome of recording a purchase.
type Recorded struct {
	PlatformID int64
	CustomerID uuid.UUID
	// Replayed is true when the purchase had been recorded before with the same content.
	Replayed bool
	// CustomerCreated is true when this request created the customer.
	CustomerCreated bool
}

// RecordTransaction records purchases exactly once and creates their customers.
type RecordTransaction struct {
	transactions     TransactionRepository
	customers        CustomerRepository
	bulkTransactions BulkTransactionRepository
	bulkCustomers    BulkCustomerRepository
	ids              IDSource
	clock            Clock
}

// WithBulk lets RecordMany write many purchases and customers at once. Without it,
// RecordMany records each purchase with Record.
func (r *RecordTransaction) WithBulk(transactions BulkTransactionRepository, customers BulkCustomerRepository) *RecordTransaction {
	r.bulkTransactions = transactions
	r.bulkCustomers = customers
	return r
}

// NewRecordTransaction returns the use case, wired to its ports.
func NewRecordTransaction(
	transactions TransactionRepository,
	customers CustomerRepository,
	ids IDSource,
	clock Clock,
) *RecordTransaction {
	return &RecordTransaction{transactions: transactions, customers: customers, ids: ids, clock: clock}
}

// Record stores the purchase details describe for by, unless by recorded the same
// transaction id before: then it returns the earlier outcome when the content is the same,
// and a *ConflictError when it is not. The purchase's customer is created when it is new.
//
// The purchase is inserted before its customer, so a conflicting request never creates a
// customer. A crash between the two writes is repaired by the partner's retry, which finds
// the purchase and creates the missing customer before it responds.
func (r *RecordTransaction) Record(
	ctx context.Context,
	by partner.Principal,
	details purchase.Details,
) (Recorded, error) {
	id, err := r.ids.NextTransactionID(ctx)
	if err != nil {
		return Recorded{}, fmt.Errorf("allocate platform id: %w", err)
	}
	p := purchase.New(id, by, details, r.clock.Now())

	replayed := false
	err = r.transactions.Insert(ctx, p)
	if errors.Is(err, ErrDuplicate) {
		p, err = r.replay(ctx, by, details)
		replayed = true
	}
	if err != nil {
		return Recorded{}, err
	}

	created, err := r.customers.Create(ctx, customer.New(p.MerchantID, p.Customer, p.ReceivedAt))
	if err != nil {
		return Recorded{}, fmt.Errorf("create customer %s: %w", p.CustomerID, err)
	}

	return Recorded{
		PlatformID:      p.PlatformID,
		CustomerID:      p.CustomerID,
		Replayed:        replayed,
		CustomerCreated: created,
	}, nil
}

// replay loads the purchase that by recorded as details.TransactionID and checks that
// details describe it.
func (r *RecordTransaction) replay(
	ctx context.Context,
	by partner.Principal,
	details purchase.Details,
) (purchase.Purchase, error) {
	recorded, err := r.transactions.FindByTransactionID(ctx, by.ClientID, details.TransactionID)
	if err != nil {
		return purchase.Purchase{}, fmt.Errorf("load recorded transaction: %w", err)
	}
	if fields := recorded.Details.Diff(details); len(fields) > 0 {
		return purchase.Purchase{}, &ConflictError{Fields: fields, PlatformID: recorded.PlatformID}
	}
	return recorded, nil
}
