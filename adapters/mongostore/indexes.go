package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// index is a secondary index txsync needs.
type index struct {
	collection string
	name       string
	keys       bson.D
	unique     bool
}

var indexes = []index{
	{transactionsCollection, "platform_id_unique", bson.D{{Key: "platform_id", Value: 1}}, true},
	{
		transactionsCollection, "customer_id_platform_id",
		bson.D{{Key: "customer_id", Value: 1}, {Key: "platform_id", Value: -1}}, false,
	},
}

// EnsureIndexes creates the indexes txsync needs and that do not exist yet. It is safe to
// call on every start and from several instances at once.
//
// Only missing indexes are sent: FerretDB v1.24.2 closes the connection (an internal
// "slice bounds out of range" panic) when createIndexes names an index that exists.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	for _, ix := range indexes {
		view := s.db.Collection(ix.collection).Indexes()
		existing, err := indexNames(ctx, view)
		if err != nil {
			return fmt.Errorf("list indexes of %s: %w", ix.collection, translate(err))
		}
		if existing[ix.name] {
			continue
		}
		model := mongo.IndexModel{
			Keys:    ix.keys,
			Options: options.Index().SetName(ix.name).SetUnique(ix.unique),
		}
		if _, err := view.CreateOne(ctx, model); err != nil {
			return fmt.Errorf("create index %s of %s: %w", ix.name, ix.collection, translate(err))
		}
	}
	return nil
}

func indexNames(ctx context.Context, view mongo.IndexView) (map[string]bool, error) {
	specs, err := view.ListSpecifications(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]bool, len(specs))
	for _, spec := range specs {
		names[spec.Name] = true
	}
	return names, nil
}
