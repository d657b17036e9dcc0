package mongostore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/txsync/txsync/application"
)

// TokenSigningKey returns the key that signs access tokens. The first instance to start on
// an empty store creates it, and every other instance reads that same key. So a token
// issued by one instance verifies on all of them.
func (s *Store) TokenSigningKey(ctx context.Context) ([]byte, error) {
	settings := s.db.Collection(settingsCollection)
	filter := bson.D{{Key: "_id", Value: "token_signing_key"}}

	candidate := bson.D{{Key: "_id", Value: "token_signing_key"}, {Key: "key", Value: rand.Text() + rand.Text()}}
	_, err := settings.InsertOne(ctx, candidate)
	if err = translate(err); err != nil && !errors.Is(err, application.ErrDuplicate) {
		return nil, fmt.Errorf("create token signing key: %w", err)
	}

	var doc struct {
		Key string `bson:"key"`
	}
	if err := settings.FindOne(ctx, filter).Decode(&doc); err != nil {
		return nil, fmt.Errorf("load token signing key: %w", translate(err))
	}
	return []byte(doc.Key), nil
}
