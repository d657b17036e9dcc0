package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/partner"
)

type clientDocument struct {
	ID         string    `bson:"_id"`
	MerchantID string    `bson:"merchant_id"`
	Name       string    `bson:"name"`
	SecretHash []byte    `bson:"secret_hash"`
	Disabled   bool      `bson:"disabled"`
	CreatedAt  time.Time `bson:"created_at"`
	// RatePerSecond and RateBurst are the client's own rate limit; zero means the default.
	RatePerSecond float64 `bson:"rate_per_second,omitempty"`
	RateBurst     int     `bson:"rate_burst,omitempty"`
}

func (d clientDocument) client() partner.Client {
	return partner.Client{
		ID:         d.ID,
		MerchantID: d.MerchantID,
		Name:       d.Name,
		SecretHash: d.SecretHash,
		Disabled:   d.Disabled,
		CreatedAt:  d.CreatedAt.UTC(),
		RateLimit:  partner.RateLimit{PerSecond: d.RatePerSecond, Burst: d.RateBurst},
	}
}

// Clients stores partner clients. It implements application.ClientRepository.
type Clients struct {
	collection *mongo.Collection
}

// Clients returns the client repository.
func (s *Store) Clients() *Clients {
	return &Clients{collection: s.db.Collection(clientsCollection)}
}

// Create stores a new client.
func (c *Clients) Create(ctx context.Context, client partner.Client) error {
	doc := clientDocument{
		ID:         client.ID,
		MerchantID: client.MerchantID,
		Name:       client.Name,
		SecretHash: client.SecretHash,
		Disabled:   client.Disabled,
		CreatedAt:  client.CreatedAt,
	}
	if _, err := c.collection.InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("insert client: %w", translate(err))
	}
	return nil
}

// Find returns the client with id, or application.ErrNotFound.
func (c *Clients) Find(ctx context.Context, id string) (partner.Client, error) {
	var doc clientDocument
	if err := c.collection.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		return partner.Client{}, fmt.Errorf("find client: %w", translate(err))
	}
	return doc.client(), nil
}

// List returns every client, oldest first.
func (c *Clients) List(ctx context.Context) ([]partner.Client, error) {
	return c.list(ctx, bson.D{})
}

// ListWithPolicies returns every client that is disabled or has a rate limit of its own.
func (c *Clients) ListWithPolicies(ctx context.Context) ([]partner.Client, error) {
	return c.list(ctx, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "disabled", Value: true}},
		bson.D{{Key: "rate_per_second", Value: bson.D{{Key: "$gt", Value: 0}}}},
	}}})
}

func (c *Clients) list(ctx context.Context, filter bson.D) ([]partner.Client, error) {
	oldestFirst := options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}})
	cursor, err := c.collection.Find(ctx, filter, oldestFirst)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", translate(err))
	}
	var docs []clientDocument
	if err := cursor.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list clients: %w", translate(err))
	}
	clients := make([]partner.Client, len(docs))
	for i, doc := range docs {
		clients[i] = doc.client()
	}
	return clients, nil
}

// Disable marks the client with id disabled, or returns application.ErrNotFound.
func (c *Clients) Disable(ctx context.Context, id string) error {
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "disabled", Value: true}}}}
	res, err := c.collection.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update)
	if err != nil {
		return fmt.Errorf("disable client: %w", translate(err))
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("disable client: %w", application.ErrNotFound)
	}
	return nil
}

// SetRateLimit gives the client with id its own rate limit, or the default back when limit
// is zero. It returns application.ErrNotFound for an unknown id.
func (c *Clients) SetRateLimit(ctx context.Context, id string, limit partner.RateLimit) error {
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "rate_per_second", Value: limit.PerSecond},
		{Key: "rate_burst", Value: limit.Burst},
	}}}
	if limit.IsZero() {
		update = bson.D{{Key: "$unset", Value: bson.D{
			{Key: "rate_per_second", Value: ""},
			{Key: "rate_burst", Value: ""},
		}}}
	}
	res, err := c.collection.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update)
	if err != nil {
		return fmt.Errorf("set rate limit of client: %w", translate(err))
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("set rate limit of client: %w", application.ErrNotFound)
	}
	return nil
}
