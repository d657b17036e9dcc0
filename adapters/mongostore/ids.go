package mongostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/txsync/txsync/application"
)

// idBlockSize is how many platform ids one block holds. Every instance sharing a store must
// use the same size, since block n is the ids n*idBlockSize+1 to (n+1)*idBlockSize.
const idBlockSize = 1000

// maxPlatformID keeps platform ids exact in a JavaScript number or a float64.
const maxPlatformID = 1<<53 - 1

// maxClaimAttempts bounds the retries when other instances claim the same block at once.
const maxClaimAttempts = 100

// IDBlocks hands out platform transaction ids from blocks of idBlockSize ids. An instance
// claims the next free block by inserting a document whose _id is the block number, so the
// store's unique _id decides which instance gets a block, and the store is asked once per
// block. It implements application.IDSource.
//
// Claims are inserts rather than an atomic increment because FerretDB v1.24.2 gives two
// concurrent findAndModify $inc calls the same result.
//
// Ids of a block that an instance did not use before it stopped are never handed out, so
// ids have gaps but are never reused.
type IDBlocks struct {
	collection *mongo.Collection
	// inserter writes claims through the store's group commit writer, when there is one,
	// so that a claim does not wait on SQLite's write lock while a flush holds it.
	inserter *inserter

	mu   sync.Mutex
	next int64 // next id to hand out
	end  int64 // first id past the claimed block
}

// IDBlocks returns the id source of the store.
func (s *Store) IDBlocks() *IDBlocks {
	return &IDBlocks{collection: s.db.Collection(idBlocksCollection), inserter: s.idBlocks}
}

// NextTransactionID returns an id no instance sharing the store has handed out before.
func (b *IDBlocks) NextTransactionID(ctx context.Context) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	if b.next == b.end {
		block, err := b.claim(ctx)
		if err != nil {
			return 0, err
		}
		b.next, b.end = block*idBlockSize+1, (block+1)*idBlockSize+1
	}
	id := b.next
	b.next++
	return id, nil
}

// claim inserts the block after the highest claimed one and returns its number, trying the
// next number when another instance claimed it first.
func (b *IDBlocks) claim(ctx context.Context) (int64, error) {
	block, err := b.highestBlock(ctx)
	if err != nil {
		return 0, err
	}
	for range maxClaimAttempts {
		block++
		if (block+1)*idBlockSize > maxPlatformID {
			return 0, fmt.Errorf("claim platform id block: block %d would pass 2^53", block)
		}
		doc := bson.D{{Key: "_id", Value: block}, {Key: "claimed_at", Value: time.Now().UTC()}}
		err := b.inserter.insert(ctx, document{id: strconv.FormatInt(block, 10), doc: doc})
		if err == nil {
			return block, nil
		}
		if !errors.Is(err, application.ErrDuplicate) {
			return 0, fmt.Errorf("claim platform id block %d: %w", block, err)
		}
	}
	return 0, fmt.Errorf("claim platform id block: %d attempts lost to other instances", maxClaimAttempts)
}

// highestBlock returns the number of the highest claimed block, or -1 when none is.
func (b *IDBlocks) highestBlock(ctx context.Context) (int64, error) {
	opts := options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})
	var doc struct {
		ID int64 `bson:"_id"`
	}
	err := translate(b.collection.FindOne(ctx, bson.D{}, opts).Decode(&doc))
	if errors.Is(err, application.ErrNotFound) {
		return -1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find highest platform id block: %w", err)
	}
	return doc.ID, nil
}
