package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/purchase"
)

// transactionDocument is the stored form of a purchase. The _id joins the client id and the
// partner's transaction id, so a second insert of one purchase fails with a duplicate key
// error, whichever instance sends it. Client ids are UUIDs and never contain the separator.
type transactionDocument struct {
	ID             string     `bson:"_id"`
	PlatformID     int64      `bson:"platform_id"`
	MerchantID     string     `bson:"merchant_id"`
	ClientID       string     `bson:"client_id"`
	TransactionID  string     `bson:"transaction_id"`
	CustomerID     string     `bson:"customer_id"`
	IdentifierType int        `bson:"identifier_type"`
	Identifier     string     `bson:"identifier"`
	PurchaseTime   *time.Time `bson:"purchase_time,omitempty"`
	ReceivedAt     time.Time  `bson:"received_at"`
	Amount         int64      `bson:"purchase_amount_fen"`
	CouponAmount   int64      `bson:"coupon_amount_fen"`
	WxCouponAmount int64      `bson:"wx_coupon_amount_fen"`
	CouponDetailID int64      `bson:"coupon_detail_id,omitempty"`
	Gender         *int       `bson:"gender,omitempty"`
	NickName       *string    `bson:"customer_nick_name,omitempty"`
	Country        *string    `bson:"customer_country,omitempty"`
	Province       *string    `bson:"customer_province,omitempty"`
	City           *string    `bson:"customer_city,omitempty"`
}

func transactionKey(clientID, transactionID string) string {
	return clientID + "/" + transactionID
}

func newTransactionDocument(p purchase.Purchase) transactionDocument {
	doc := transactionDocument{
		ID:             transactionKey(p.ClientID, p.TransactionID),
		PlatformID:     p.PlatformID,
		MerchantID:     p.MerchantID,
		ClientID:       p.ClientID,
		TransactionID:  p.TransactionID,
		CustomerID:     p.CustomerID.String(),
		IdentifierType: int(p.Customer.Type),
		Identifier:     p.Customer.Value,
		ReceivedAt:     p.ReceivedAt,
		Amount:         int64(p.Amount),
		CouponAmount:   int64(p.CouponAmount),
		WxCouponAmount: int64(p.WxCouponAmount),
		CouponDetailID: p.CouponDetailID,
		NickName:       p.Profile.NickName,
		Country:        p.Profile.Country,
		Province:       p.Profile.Province,
		City:           p.Profile.City,
	}
	if !p.PurchaseTime.IsZero() {
		doc.PurchaseTime = &p.PurchaseTime
	}
	if g := p.Profile.Gender; g != nil {
		doc.Gender = new(int(*g))
	}
	return doc
}

// transactionDocumentOf returns p's document, ready to insert.
func transactionDocumentOf(p purchase.Purchase) document {
	doc := newTransactionDocument(p)
	return document{id: doc.ID, doc: doc}
}

// purchase rebuilds the purchase a document stores. It is the one place where stored data
// becomes a domain value without the parsing rules: what was stored passed them once.
func (d transactionDocument) purchase() (purchase.Purchase, error) {
	customerID, err := uuid.Parse(d.CustomerID)
	if err != nil {
		return purchase.Purchase{}, fmt.Errorf("transaction %s: customer id: %w", d.ID, err)
	}
	p := purchase.Purchase{
		Details: purchase.Details{
			TransactionID: d.TransactionID,
			Customer: customer.Identifier{
				Type:  customer.IdentifierType(d.IdentifierType),
				Value: d.Identifier,
			},
			Amount:         purchase.Money(d.Amount),
			CouponAmount:   purchase.Money(d.CouponAmount),
			WxCouponAmount: purchase.Money(d.WxCouponAmount),
			CouponDetailID: d.CouponDetailID,
			Profile: customer.Profile{
				NickName: d.NickName,
				Country:  d.Country,
				Province: d.Province,
				City:     d.City,
			},
		},
		PlatformID: d.PlatformID,
		ClientID:   d.ClientID,
		MerchantID: d.MerchantID,
		CustomerID: customerID,
		ReceivedAt: d.ReceivedAt.UTC(),
	}
	if d.PurchaseTime != nil {
		p.PurchaseTime = d.PurchaseTime.UTC()
	}
	if d.Gender != nil {
		p.Profile.Gender = new(customer.Gender(*d.Gender))
	}
	return p, nil
}

// Transactions stores purchases. It implements application.TransactionRepository.
type Transactions struct {
	collection *mongo.Collection
	majority   *mongo.Collection // the same collection, read with majority read concern
	inserter   *inserter
}

// Transactions returns the purchase repository.
func (s *Store) Transactions() *Transactions {
	collection := s.db.Collection(transactionsCollection)
	majority := s.db.Collection(transactionsCollection,
		options.Collection().SetReadConcern(readconcern.Majority()))
	return &Transactions{collection: collection, majority: majority, inserter: s.transactions}
}

// Insert stores p, or returns application.ErrDuplicate when its client already recorded its
// transaction id. With group commit it waits for the batch that carries p to be durable.
func (t *Transactions) Insert(ctx context.Context, p purchase.Purchase) error {
	if err := t.inserter.insert(ctx, transactionDocumentOf(p)); err != nil {
		return fmt.Errorf("insert transaction %d: %w", p.PlatformID, err)
	}
	return nil
}

// FindByTransactionID returns the purchase clientID recorded as transactionID, or
// application.ErrNotFound.
func (t *Transactions) FindByTransactionID(
	ctx context.Context,
	clientID, transactionID string,
) (purchase.Purchase, error) {
	filter := bson.D{{Key: "_id", Value: transactionKey(clientID, transactionID)}}
	var doc transactionDocument
	// Majority read concern: a replay returns 200 only for a purchase that survives a
	// failover, as the first response did.
	if err := t.majority.FindOne(ctx, filter).Decode(&doc); err != nil {
		return purchase.Purchase{}, fmt.Errorf("find transaction: %w", translate(err))
	}
	return doc.purchase()
}

// FindByPlatformID returns the purchase with platformID, or application.ErrNotFound.
func (t *Transactions) FindByPlatformID(ctx context.Context, platformID int64) (purchase.Purchase, error) {
	var doc transactionDocument
	err := t.collection.FindOne(ctx, bson.D{{Key: "platform_id", Value: platformID}}).Decode(&doc)
	if err != nil {
		return purchase.Purchase{}, fmt.Errorf("find transaction %d: %w", platformID, translate(err))
	}
	return doc.purchase()
}

// ListByCustomer returns up to limit purchases of customerID with a platform id below
// before (any id when before is 0), highest platform id first.
func (t *Transactions) ListByCustomer(
	ctx context.Context,
	customerID uuid.UUID,
	before int64,
	limit int,
) ([]purchase.Purchase, error) {
	filter := bson.D{{Key: "customer_id", Value: customerID.String()}}
	if before > 0 {
		filter = append(filter, bson.E{Key: "platform_id", Value: bson.D{{Key: "$lt", Value: before}}})
	}
	opts := options.Find().
		SetSort(bson.D{{Key: "platform_id", Value: -1}}).
		SetLimit(int64(limit))
	cursor, err := t.collection.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list transactions of customer %s: %w", customerID, translate(err))
	}
	var docs []transactionDocument
	if err := cursor.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list transactions of customer %s: %w", customerID, translate(err))
	}
	purchases := make([]purchase.Purchase, 0, len(docs))
	for _, doc := range docs {
		p, err := doc.purchase()
		if err != nil {
			return nil, err
		}
		purchases = append(purchases, p)
	}
	return purchases, nil
}

// InsertMany stores purchases with one write and returns each one's outcome, in order: nil
// once stored, an error wrapping application.ErrDuplicate when its client already recorded
// its transaction id, or the write's error.
func (t *Transactions) InsertMany(ctx context.Context, purchases []purchase.Purchase) []error {
	if len(purchases) == 0 {
		return nil
	}
	docs := make([]document, len(purchases))
	for i, p := range purchases {
		docs[i] = transactionDocumentOf(p)
	}
	return t.inserter.insertMany(ctx, docs)
}

// FindManyByTransactionID returns the purchases clientID recorded under transactionIDs, by
// transaction id; ids never recorded are missing from the map. Like FindByTransactionID it
// reads with majority read concern.
//
// It reads one _id at a time, because FerretDB 1.24.2 serves an $in on _id by scanning the
// collection (a read of 500 ids took 70 ms on an empty collection and grew with it), while
// a lookup of one _id can use an index (the one embeddedstore.IndexIDLookups adds) and
// takes under a millisecond.
func (t *Transactions) FindManyByTransactionID(
	ctx context.Context,
	clientID string,
	transactionIDs []string,
) (map[string]purchase.Purchase, error) {
	found := make(map[string]purchase.Purchase, len(transactionIDs))
	for _, id := range transactionIDs {
		p, err := t.FindByTransactionID(ctx, clientID, id)
		if errors.Is(err, application.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found[id] = p
	}
	return found, nil
}
