package mongostore

import (
	"context"
	"errors"
	"fmt"
	"slices"

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

// collections lists every collection txsync uses.
var collections = []string{
	transactionsCollection, customersCollection, clientsCollection, idBlocksCollection, settingsCollection,
}

// EnsureIndexes creates the collections and indexes txsync needs and that do not exist yet.
// It is safe to call on every start and from several instances at once.
//
// Only missing indexes are sent: FerretDB v1.24.2 closes the connection (an internal
// "slice bounds out of range" panic) when createIndexes names an index that exists.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	if err := s.ensureCollections(ctx); err != nil {
		return err
	}
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

// ensureCollections creates the collections that do not exist yet. Another instance may
// create one at the same time, so a collection that exists by then is no error.
func (s *Store) ensureCollections(ctx context.Context) error {
	existing, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("list collections: %w", translate(err))
	}
	for _, name := range collections {
		if slices.Contains(existing, name) {
			continue
		}
		err := s.db.CreateCollection(ctx, name)
		var server mongo.ServerError
		if errors.As(err, &server) && server.HasErrorCode(namespaceExistsCode) {
			continue
		}
		if err != nil {
			return fmt.Errorf("create collection %s: %w", name, translate(err))
		}
	}
	return nil
}

// namespaceExistsCode is the server's code for a collection that exists already.
const namespaceExistsCode = 48
