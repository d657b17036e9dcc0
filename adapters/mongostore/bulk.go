package mongostore

import (
	"context"
	"errors"
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/txsync/txsync/application"
)

// duplicateKeyCode is the server's code of a duplicate key write error (E11000).
const duplicateKeyCode = 11000

// knownIDsSize bounds how many _ids each collection's knownIDs remembers. At an estimated
// 100 bytes per _id, that is about 10 MB per collection.
const knownIDsSize = 100_000

// knownIDs remembers _ids that the store is known to hold, so that inserting one of them
// again is reported as a duplicate without a write. txsync never deletes purchases or
// customers, so an _id once stored stays stored.
//
// This matters because FerretDB 1.24.2 inserts a batch in one SQLite transaction only when no
// document of it is a duplicate. One duplicate makes it insert the whole batch again, one
// document and one disk commit at a time. A returning customer or a retried purchase would
// otherwise cost a commit per document of its batch.
//
// Limit: the memory is per instance and bounded, so a customer this instance has not seen
// lately, or a purchase recorded through another instance, still reaches the store as a
// duplicate and costs its batch that slow path.
type knownIDs struct {
	ids *lru.Cache[string, struct{}]
}

func newKnownIDs() *knownIDs {
	ids, err := lru.New[string, struct{}](knownIDsSize)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &knownIDs{ids: ids}
}

func (k *knownIDs) has(id string) bool { return k.ids.Contains(id) }

// errStored is the outcome of an insert that knownIDs settles without a write.
func errStored(id string) error {
	return fmt.Errorf("%w: _id %q is stored already", application.ErrDuplicate, id)
}

// learn remembers id when outcome shows the store holds it: stored, or a duplicate.
func (k *knownIDs) learn(id string, outcome error) {
	if outcome == nil || errors.Is(outcome, application.ErrDuplicate) {
		k.ids.Add(id, struct{}{})
	}
}

// document is one document to insert and its _id.
type document struct {
	id  string
	doc any
}

// insertDocuments inserts docs with at most one unordered InsertMany and returns each
// one's outcome, in order: nil once durably stored, an error wrapping
// application.ErrDuplicate when its _id is stored already, or the write's error.
//
// Documents whose _id is in known are reported as duplicates without a write. A document
// whose _id repeats an earlier one in docs is not sent: it gets ErrDuplicate when the first
// one is stored, and the first one's error otherwise. One duplicate in the InsertMany would
// make FerretDB write the others one at a time (see knownIDs).
//
// err is the driver's error, for tracing.
func insertDocuments(
	ctx context.Context,
	collection *mongo.Collection,
	known *knownIDs,
	docs []document,
) (outcomes []error, err error) {
	outcomes = make([]error, len(docs))
	first := make(map[string]int, len(docs)) // index in docs of each _id's first document
	sent := make([]int, 0, len(docs))        // indexes in docs of the documents sent
	toSend := make([]any, 0, len(docs))
	for i, d := range docs {
		if known.has(d.id) {
			outcomes[i] = errStored(d.id)
			continue
		}
		if _, ok := first[d.id]; ok {
			continue
		}
		first[d.id] = i
		sent = append(sent, i)
		toSend = append(toSend, d.doc)
	}

	if len(toSend) > 0 {
		var results []error
		results, err = insertMany(ctx, collection, toSend)
		for k, i := range sent {
			outcomes[i] = results[k]
			known.learn(docs[i].id, results[k])
		}
	}
	for i, d := range docs {
		j, ok := first[d.id]
		if !ok || j == i {
			continue
		}
		if outcomes[j] == nil {
			outcomes[i] = fmt.Errorf("%w: _id %q is stored by an earlier document", application.ErrDuplicate, d.id)
		} else {
			outcomes[i] = outcomes[j]
		}
	}
	return outcomes, err
}

// inserter inserts the documents of one collection, remembering the _ids it finds stored.
type inserter struct {
	collection *mongo.Collection
	known      *knownIDs
	batches    *batcher // the Store's one writer; nil without group commit
}

// insert stores d and returns its outcome like insertDocuments. With group commit it waits
// for the flush that carries d to be durable.
func (w *inserter) insert(ctx context.Context, d document) error {
	if w.known.has(d.id) { // also saves waiting for a flush
		return errStored(d.id)
	}
	if w.batches != nil {
		return w.batches.insert(ctx, w, []document{d})[0]
	}
	_, err := w.collection.InsertOne(ctx, d.doc)
	err = translate(err)
	w.known.learn(d.id, err)
	return err
}

// insertMany stores docs with at most one write and returns their outcomes like
// insertDocuments. With group commit the write is a flush, shared with other callers.
func (w *inserter) insertMany(ctx context.Context, docs []document) []error {
	if w.batches != nil {
		return w.batches.insert(ctx, w, docs)
	}
	outcomes, _ := insertDocuments(ctx, w.collection, w.known, docs) // the outcomes carry the error
	return outcomes
}

// insertMany inserts docs with one unordered InsertMany and returns each document's
// outcome: nil once durably stored, an error wrapping application.ErrDuplicate when its _id
// exists, or the call's error for every document when the whole call failed. A write
// concern error fails every document, since none is known to be durable. err is the
// driver's error, for tracing.
func insertMany(ctx context.Context, collection *mongo.Collection, docs []any) (outcomes []error, err error) {
	_, err = collection.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	outcomes = make([]error, len(docs))
	var bulk mongo.BulkWriteException
	switch {
	case err == nil:
	case errors.As(err, &bulk) && bulk.WriteConcernError == nil:
		for _, writeErr := range bulk.WriteErrors {
			if writeErr.Index < 0 || writeErr.Index >= len(docs) {
				continue
			}
			switch {
			case writeErr.Code == duplicateKeyCode:
				outcomes[writeErr.Index] = fmt.Errorf("%w: %s", application.ErrDuplicate, writeErr.Message)
			case writeErr.Code == internalErrorCode:
				outcomes[writeErr.Index] = fmt.Errorf("%w: %s", application.ErrStoreUnavailable, writeErr.Message)
			default:
				outcomes[writeErr.Index] = fmt.Errorf("insert: %s (code %d)", writeErr.Message, writeErr.Code)
			}
		}
	default:
		failed := translate(err)
		if errors.As(err, &bulk) {
			failed = fmt.Errorf("%w: %w", application.ErrStoreUnavailable, err)
		}
		for i := range outcomes {
			outcomes[i] = failed
		}
	}
	return outcomes, err
}
