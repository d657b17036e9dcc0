package mongostore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/txsync/txsync/application"
)

// GroupCommit coalesces the inserts of concurrent requests into one unordered InsertMany,
// so one disk commit serves many purchases.
type GroupCommit struct {
	// MaxBatch bounds the documents of one InsertMany.
	MaxBatch int
	// MaxWait bounds how long a flush waits for more documents once it has one.
	MaxWait time.Duration
	// Timeout bounds one InsertMany.
	Timeout time.Duration
	// Tracer, when set, traces each flush, linked to the spans of the requests it carries.
	Tracer trace.Tracer
}

// insertRequest is one caller's document waiting for a flush, where its outcome goes, and
// the caller's span, which the flush links to.
type insertRequest struct {
	doc    document
	result chan error
	span   trace.SpanContext
}

// batcher inserts the documents callers hand it in batches, one InsertMany at a time.
// Each caller gets the outcome of its own document: nil once it is durably stored, an error
// wrapping application.ErrDuplicate when its _id exists, or the batch's error when the
// whole InsertMany failed. A write concern error fails every document of its batch,
// since none is known to be durable.
// Documents are sent as insertDocuments sends them: an _id the store is known to hold, or
// that an earlier document of the batch has, gets its outcome without being sent again.
type batcher struct {
	collection *mongo.Collection
	known      *knownIDs
	cfg        GroupCommit
	tracer     trace.Tracer
	requests   chan insertRequest
	stop       chan struct{}
	done       sync.WaitGroup
}

func newBatcher(collection *mongo.Collection, known *knownIDs, cfg GroupCommit) *batcher {
	tracer := cfg.Tracer
	if tracer == nil {
		tracer = noop.NewTracerProvider().Tracer("")
	}
	b := &batcher{
		collection: collection,
		known:      known,
		cfg:        cfg,
		tracer:     tracer,
		requests:   make(chan insertRequest, cfg.MaxBatch),
		stop:       make(chan struct{}),
	}
	b.done.Add(1)
	go b.run()
	return b
}

// insert hands doc to the next flush and waits for its outcome. When ctx ends first the
// document may still be stored: callers treat that like any timeout, and a retry finds it.
//
// Nothing here bounds the queue: the partner API bounds the writes in progress
// (TXSYNC_MAX_IN_FLIGHT), and so the callers waiting here.
//
// The wait is a span in the caller's trace. The flush that writes the document is a child
// of the first waiting span of its batch and links to the others, so the InsertMany command
// shows in one request's trace and the others link to it.
func (b *batcher) insert(ctx context.Context, doc document) (err error) {
	ctx, span := b.tracer.Start(ctx, "GroupCommitWait "+b.collection.Name())
	defer func() {
		if err != nil {
			span.RecordError(err)
		}
		span.End()
	}()

	req := insertRequest{doc: doc, result: make(chan error, 1), span: span.SpanContext()}
	select {
	case b.requests <- req:
	case <-b.stop:
		return fmt.Errorf("%w: the store connection is closing", application.ErrStoreUnavailable)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher) run() {
	defer b.done.Done()
	batch := make([]insertRequest, 0, b.cfg.MaxBatch)
	for {
		select {
		case req := <-b.requests:
			batch = append(batch[:0], req)
		case <-b.stop:
			b.rejectWaiting()
			return
		}
		batch = b.collect(batch)
		b.flush(batch)
	}
}

// collect adds waiting requests to batch until it is full or MaxWait has passed. With no
// MaxWait it takes only the requests already queued.
func (b *batcher) collect(batch []insertRequest) []insertRequest {
	if b.cfg.MaxWait <= 0 {
		for len(batch) < b.cfg.MaxBatch {
			select {
			case req := <-b.requests:
				batch = append(batch, req)
			default:
				return batch
			}
		}
		return batch
	}
	deadline := time.NewTimer(b.cfg.MaxWait)
	defer deadline.Stop()
	for len(batch) < b.cfg.MaxBatch {
		select {
		case req := <-b.requests:
			batch = append(batch, req)
		case <-deadline.C:
			return batch
		}
	}
	return batch
}

func (b *batcher) flush(batch []insertRequest) {
	docs := make([]document, len(batch))
	for i, req := range batch {
		docs[i] = req.doc
	}
	ctx, span := b.startFlushSpan(batch)
	defer span.End()
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()

	outcomes, err := insertDocuments(ctx, b.collection, b.known, docs)
	if err != nil {
		span.RecordError(err)
	}
	for i, req := range batch {
		req.result <- outcomes[i]
	}
}

// startFlushSpan starts the span of one flush: a child of the first request's wait span,
// linked to the wait spans of the others.
func (b *batcher) startFlushSpan(batch []insertRequest) (context.Context, trace.Span) {
	links := make([]trace.Link, 0, len(batch)-1)
	for _, req := range batch[1:] {
		if req.span.IsValid() {
			links = append(links, trace.Link{SpanContext: req.span})
		}
	}
	parent := trace.ContextWithSpanContext(context.Background(), batch[0].span)
	return b.tracer.Start(parent, "GroupCommit "+b.collection.Name(),
		trace.WithLinks(links...),
		trace.WithAttributes(attribute.Int("txsync.group_commit.size", len(batch))),
	)
}

// rejectWaiting fails the requests handed over but not flushed when the batcher stops.
func (b *batcher) rejectWaiting() {
	for {
		select {
		case req := <-b.requests:
			req.result <- fmt.Errorf("%w: the store connection is closing", application.ErrStoreUnavailable)
		default:
			return
		}
	}
}

// close stops the flushes after the one in progress. Callers still waiting to hand over a
// document get application.ErrStoreUnavailable.
func (b *batcher) close() {
	close(b.stop)
	b.done.Wait()
}
