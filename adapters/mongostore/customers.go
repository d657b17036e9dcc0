package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
)

// customerDocument is the stored form of a customer. Its profile is not stored here: it is
// derived from the customer's purchases when read, so recording a purchase never has to
// update the customer.
type customerDocument struct {
	ID             string    `bson:"_id"`
	MerchantID     string    `bson:"merchant_id"`
	IdentifierType int       `bson:"identifier_type"`
	Identifier     string    `bson:"identifier"`
	CreatedAt      time.Time `bson:"created_at"`
}

func newCustomerDocument(c customer.Customer) customerDocument {
	return customerDocument{
		ID:             c.ID.String(),
		MerchantID:     c.MerchantID,
		IdentifierType: int(c.Identifier.Type),
		Identifier:     c.Identifier.Value,
		CreatedAt:      c.CreatedAt,
	}
}

// customerDocumentOf returns c's document, ready to insert.
func customerDocumentOf(c customer.Customer) document {
	doc := newCustomerDocument(c)
	return document{id: doc.ID, doc: doc}
}

// Customers stores customers. It implements application.CustomerRepository.
type Customers struct {
	collection *mongo.Collection
	inserter   *inserter
}

// Customers returns the customer repository.
func (s *Store) Customers() *Customers {
	return &Customers{collection: s.db.Collection(customersCollection), inserter: s.customers}
}

// Create stores c and reports whether it was new. An existing customer is left as it is.
func (c *Customers) Create(ctx context.Context, cust customer.Customer) (bool, error) {
	err := c.inserter.insert(ctx, customerDocumentOf(cust))
	if errors.Is(err, application.ErrDuplicate) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert customer: %w", err)
	}
	return true, nil
}

// Find returns the customer with id, or application.ErrNotFound.
func (c *Customers) Find(ctx context.Context, id uuid.UUID) (customer.Customer, error) {
	var doc customerDocument
	err := c.collection.FindOne(ctx, bson.D{{Key: "_id", Value: id.String()}}).Decode(&doc)
	if err != nil {
		return customer.Customer{}, fmt.Errorf("find customer %s: %w", id, translate(err))
	}
	return customer.Customer{
		ID:         id,
		MerchantID: doc.MerchantID,
		Identifier: customer.Identifier{
			Type:  customer.IdentifierType(doc.IdentifierType),
			Value: doc.Identifier,
		},
		CreatedAt: doc.CreatedAt.UTC(),
	}, nil
}

// Count returns how many customers merchantID has.
func (c *Customers) Count(ctx context.Context, merchantID string) (int64, error) {
	n, err := c.collection.CountDocuments(ctx, bson.D{{Key: "merchant_id", Value: merchantID}})
	if err != nil {
		return 0, fmt.Errorf("count customers of merchant %s: %w", merchantID, translate(err))
	}
	return n, nil
}

// CreateMany stores customers with one write and reports, in order, whether each was new.
// A customer listed twice is created once, by its first listing.
func (c *Customers) CreateMany(ctx context.Context, customers []customer.Customer) ([]bool, error) {
	created := make([]bool, len(customers))
	if len(customers) == 0 {
		return created, nil
	}
	docs := make([]document, len(customers))
	for i, cust := range customers {
		docs[i] = customerDocumentOf(cust)
	}
	outcomes := c.inserter.insertMany(ctx, docs)
	for i, err := range outcomes {
		switch {
		case err == nil:
			created[i] = true
		case errors.Is(err, application.ErrDuplicate):
		default:
			return nil, fmt.Errorf("insert customers: %w", err)
		}
	}
	return created, nil
}
