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

// MaxPageSize is the largest page of a customer's purchases one request returns.
const MaxPageSize = 200

// TransactionReader reads stored purchases.
type TransactionReader interface {
	// FindByTransactionID returns the purchase clientID recorded as transactionID, or
	// ErrNotFound.
	FindByTransactionID(ctx context.Context, clientID, transactionID string) (purchase.Purchase, error)
	// FindByPlatformID returns the purchase with platformID, or ErrNotFound.
	FindByPlatformID(ctx context.Context, platformID int64) (purchase.Purchase, error)
	// ListByCustomer returns up to limit purchases of customerID with a platform id below
	// before (any id when before is 0), highest platform id first.
	ListByCustomer(ctx context.Context, customerID uuid.UUID, before int64, limit int) ([]purchase.Purchase, error)
}

// CustomerReader reads stored customers.
type CustomerReader interface {
	// Find returns the customer with id, or ErrNotFound.
	Find(ctx context.Context, id uuid.UUID) (customer.Customer, error)
}

// CustomerView is a customer with what is derived from its purchases.
type CustomerView struct {
	customer.Customer
	Profile customer.Profile
	Totals  purchase.Totals
}

// Page is one page of a customer's purchases, newest first. Next is the platform id to
// pass as before for the next page, or 0 on the last page.
type Page struct {
	Purchases []purchase.Purchase
	Next      int64
}

// Lookup answers partners' questions about what was recorded. Every query is limited to
// the caller's merchant: another merchant's data is reported as not found.
type Lookup struct {
	transactions TransactionReader
	customers    CustomerReader
}

// NewLookup returns the read use cases, wired to their ports.
func NewLookup(transactions TransactionReader, customers CustomerReader) *Lookup {
	return &Lookup{transactions: transactions, customers: customers}
}

// Transaction returns the purchase by recorded as transactionID, or ErrNotFound.
func (l *Lookup) Transaction(ctx context.Context, by partner.Principal, transactionID string) (purchase.Purchase, error) {
	p, err := l.transactions.FindByTransactionID(ctx, by.ClientID, transactionID)
	if err != nil {
		return purchase.Purchase{}, err
	}
	return p, nil
}

// TransactionByPlatformID returns the purchase with platformID when it belongs to by's
// merchant, or ErrNotFound.
func (l *Lookup) TransactionByPlatformID(ctx context.Context, by partner.Principal, platformID int64) (purchase.Purchase, error) {
	p, err := l.transactions.FindByPlatformID(ctx, platformID)
	if err != nil {
		return purchase.Purchase{}, err
	}
	if p.MerchantID != by.MerchantID {
		return purchase.Purchase{}, fmt.Errorf("transaction %d: %w", platformID, ErrNotFound)
	}
	return p, nil
}

// Customer returns by's merchant's customer with identifier, with its profile and totals
// derived from all its stored purchases, or ErrNotFound.
func (l *Lookup) Customer(ctx context.Context, by partner.Principal, identifier customer.Identifier) (CustomerView, error) {
	id := customer.IDOf(by.MerchantID, identifier)
	c, err := l.customers.Find(ctx, id)
	if err != nil {
		return CustomerView{}, err
	}

	var all []purchase.Purchase
	for before := int64(0); ; {
		page, err := l.transactions.ListByCustomer(ctx, id, before, MaxPageSize)
		if err != nil {
			return CustomerView{}, fmt.Errorf("load purchases of customer %s: %w", id, err)
		}
		all = append(all, page...)
		if len(page) < MaxPageSize {
			break
		}
		before = page[len(page)-1].PlatformID
	}

	updates := make([]customer.ProfileUpdate, len(all))
	for i, p := range all {
		updates[i] = customer.ProfileUpdate{Profile: p.Profile, PurchaseTime: p.Time(), PlatformID: p.PlatformID}
	}
	return CustomerView{Customer: c, Profile: customer.MergeProfiles(updates), Totals: purchase.Sum(all)}, nil
}

// CustomerTransactions returns a page of up to limit purchases of by's merchant's customer
// with identifier, newest first, starting below the platform id before (0 for the first
// page). An unknown customer returns ErrNotFound.
func (l *Lookup) CustomerTransactions(
	ctx context.Context,
	by partner.Principal,
	identifier customer.Identifier,
	before int64,
	limit int,
) (Page, error) {
	if limit < 1 || limit > MaxPageSize {
		return Page{}, fmt.Errorf("page size %d: %w", limit, ErrInvalidPageSize)
	}
	id := customer.IDOf(by.MerchantID, identifier)
	if _, err := l.customers.Find(ctx, id); err != nil {
		return Page{}, err
	}
	// Reading one more than the limit shows whether another page follows.
	purchases, err := l.transactions.ListByCustomer(ctx, id, before, limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("list purchases of customer %s: %w", id, err)
	}
	page := Page{Purchases: purchases}
	if len(purchases) > limit {
		page.Purchases = purchases[:limit]
		page.Next = purchases[limit-1].PlatformID
	}
	return page, nil
}

// ErrInvalidPageSize is returned for a page size outside 1 to MaxPageSize.
var ErrInvalidPageSize = errors.New("page size must be 1 to 200")
