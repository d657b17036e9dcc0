package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// EnsureIndexes creates the indexes txsync needs. It is safe to call on every start and
// from several instances at once.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	indexes := map[string][]mongo.IndexModel{
		transactionsCollection: {
			{
				Keys:    bson.D{{Key: "platform_id", Value: 1}},
				Options: options.Index().SetName("platform_id_unique").SetUnique(true),
			},
			{
				Keys:    bson.D{{Key: "customer_id", Value: 1}, {Key: "platform_id", Value: -1}},
				Options: options.Index().SetName("customer_id_platform_id"),
			},
		},
	}
	for collection, models := range indexes {
		if _, err := s.db.Collection(collection).Indexes().CreateMany(ctx, models); err != nil {
			return fmt.Errorf("create indexes of %s: %w", collection, translate(err))
		}
	}
	return nil
}
