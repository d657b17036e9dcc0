package mongostore

import (
	"context"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// maxPlatformID keeps platform ids exact in a JavaScript number or a float64.
const maxPlatformID = 1<<53 - 1

// IDBlocks hands out platform transaction ids from blocks it reserves in the store with one
// atomic increment each, so ids are unique across instances while asking the store only
// once per block. It implements application.IDSource.
//
// Ids of a block that an instance did not use before it stopped are never handed out, so
// ids have gaps but are never reused.
type IDBlocks struct {
	collection *mongo.Collection
	blockSize  int64

	mu   sync.Mutex
	next int64 // next id to hand out
	end  int64 // first id past the reserved block
}

// IDBlocks returns an id source that reserves blockSize ids at a time.
func (s *Store) IDBlocks(blockSize int64) *IDBlocks {
	return &IDBlocks{collection: s.db.Collection(countersCollection), blockSize: blockSize}
}

// NextTransactionID returns an id no instance sharing the store has handed out before.
func (b *IDBlocks) NextTransactionID(ctx context.Context) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	if b.next == b.end {
		end, err := b.reserve(ctx)
		if err != nil {
			return 0, err
		}
		b.next, b.end = end-b.blockSize, end
	}
	id := b.next
	b.next++
	return id, nil
}

// reserve advances the shared counter, the last id reserved so far, by one block and returns
// one past the block's last id. The counter starts at 0, so ids are positive.
func (b *IDBlocks) reserve(ctx context.Context) (int64, error) {
	filter := bson.D{{Key: "_id", Value: "platform_transaction_id"}}
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "next", Value: b.blockSize}}},
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)

	var counter struct {
		Next int64 `bson:"next"`
	}
	err := b.collection.FindOneAndUpdate(ctx, filter, update, opts).Decode(&counter)
	if err != nil {
		return 0, fmt.Errorf("reserve platform ids: %w", translate(err))
	}
	end := counter.Next + 1
	if end > maxPlatformID {
		return 0, fmt.Errorf("reserve platform ids: the counter reached %d, the largest safe id", counter.Next)
	}
	return end, nil
}
