package mongostore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/txsync/txsync/application"
)

// GroupCommit coalesces the inserts of concurrent requests into one unordered InsertMany
// per collection, so one disk commit serves many purchases.
type GroupCommit struct {
	// MaxBatch bounds the documents of one flush. A bulk insert larger than it is flushed
	// alone.
	MaxBatch int
	// MaxWait bounds how long a flush waits for more documents once it has one.
	MaxWait time.Duration
	// Timeout bounds one flush.
	Timeout time.Duration
	// Tracer, when set, traces each flush, linked to the spans of the requests it carries.
	Tracer trace.Tracer
}

// insertRequest is one caller's documents of one collection waiting for a flush, where
// their outcomes go, and the caller's span, which the flush links to.
type insertRequest struct {
	to     *inserter
	docs   []document
	result chan []error
	span   trace.SpanContext
}

// batcher is the one writer of a Store's inserts. It collects the documents callers hand
// it and writes them with one InsertMany per collection, one collection after another.
// Each caller gets the outcome of each of its documents: nil once it is durably stored, an
// error wrapping application.ErrDuplicate when its _id exists, or the flush's error when the
// whole InsertMany failed. A write concern error fails every document of its InsertMany,
// since none is known to be durable. Documents are sent as insertDocuments sends them: an
// _id the store is known to hold, or that an earlier document has, is not sent again.
//
// One writer, rather than one per collection, because SQLite, under the embedded store,
// lets one transaction write to a database file at a time. A second writer waits for the
// lock by sleeping and retrying (SQLite's busy timeout): with a writer per collection, p99
// was 150 to 290 ms at 1,500 purchases/s, and 11 to 18 ms with one (measured here).
type batcher struct {
	cfg      GroupCommit
	tracer   trace.Tracer
	requests chan insertRequest
	stop     chan struct{}
	done     sync.WaitGroup

	closeMu sync.RWMutex
	closed  bool // set under closeMu before stop is closed
}

func newBatcher(cfg GroupCommit) *batcher {
	tracer := cfg.Tracer
	if tracer == nil {
		tracer = noop.NewTracerProvider().Tracer("")
	}
	b := &batcher{
		cfg:      cfg,
		tracer:   tracer,
		requests: make(chan insertRequest, cfg.MaxBatch),
		stop:     make(chan struct{}),
	}
	b.done.Add(1)
	go b.run()
	return b
}

// insert hands docs to the next flush and waits for their outcomes, in order. When ctx
// ends first the documents may still be stored: callers treat that like any timeout, and
// a retry finds them.
//
// The wait is a span in the caller's trace. The flush that writes the documents is a child
// of the first waiting span of its collection and links to the others, so the InsertMany
// command shows in one request's trace and the others link to it.
//
// Nothing here bounds the queue: the partner API bounds the writes in progress
// (TXSYNC_MAX_IN_FLIGHT), and so the callers waiting here.
func (b *batcher) insert(ctx context.Context, to *inserter, docs []document) (outcomes []error) {
	ctx, span := b.tracer.Start(ctx, "GroupCommitWait "+to.collection.Name())
	defer func() {
		for _, err := range outcomes {
			if err != nil {
				span.RecordError(err)
				break
			}
		}
		span.End()
	}()

	req := insertRequest{to: to, docs: docs, result: make(chan []error, 1), span: span.SpanContext()}
	if err := b.enqueue(ctx, req); err != nil {
		return repeat(err, len(docs))
	}
	select {
	case outcomes := <-req.result:
		return outcomes
	case <-ctx.Done():
		return repeat(ctx.Err(), len(docs))
	}
}

// enqueue hands req to the writer, or fails when the batcher is closed or ctx ends first.
// It holds closeMu for reading while it sends, so close cannot stop the writer between the
// check and the send and leave req in a queue that is no longer read.
func (b *batcher) enqueue(ctx context.Context, req insertRequest) error {
	b.closeMu.RLock()
	defer b.closeMu.RUnlock()
	if b.closed {
		return errClosing
	}
	select {
	case b.requests <- req:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errClosing fails the inserts handed to a batcher that is closing.
var errClosing = fmt.Errorf("%w: the store connection is closing", application.ErrStoreUnavailable)

// repeat returns n copies of err.
func repeat(err error, n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
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

// collect adds waiting requests to batch until it holds MaxBatch documents or MaxWait has
// passed. With no MaxWait it takes only the requests already queued.
func (b *batcher) collect(batch []insertRequest) []insertRequest {
	size := len(batch[0].docs)
	var deadline <-chan time.Time
	if b.cfg.MaxWait > 0 {
		timer := time.NewTimer(b.cfg.MaxWait)
		defer timer.Stop()
		deadline = timer.C
	}
	for size < b.cfg.MaxBatch {
		if deadline == nil {
			select {
			case req := <-b.requests:
				batch = append(batch, req)
				size += len(req.docs)
				continue
			default:
				return batch
			}
		}
		select {
		case req := <-b.requests:
			batch = append(batch, req)
			size += len(req.docs)
		case <-deadline:
			return batch
		}
	}
	return batch
}

// flush writes the documents of batch, one InsertMany per collection, and hands each
// request its outcomes.
func (b *batcher) flush(batch []insertRequest) {
	var order []*inserter
	byCollection := make(map[*inserter][]insertRequest)
	for _, req := range batch {
		if _, ok := byCollection[req.to]; !ok {
			order = append(order, req.to)
		}
		byCollection[req.to] = append(byCollection[req.to], req)
	}
	for _, to := range order {
		b.flushCollection(to, byCollection[to])
	}
}

// flushCollection writes the documents of requests, which all go to to, with one
// InsertMany.
func (b *batcher) flushCollection(to *inserter, requests []insertRequest) {
	var docs []document
	for _, req := range requests {
		docs = append(docs, req.docs...)
	}
	ctx, span := b.startFlushSpan(to, requests, len(docs))
	defer span.End()
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()

	outcomes, err := insertDocuments(ctx, to.collection, to.known, docs)
	if err != nil {
		span.RecordError(err)
	}
	for _, req := range requests {
		req.result <- outcomes[:len(req.docs):len(req.docs)]
		outcomes = outcomes[len(req.docs):]
	}
}

// startFlushSpan starts the span of one InsertMany: a child of the first request's wait
// span, linked to the wait spans of the others.
func (b *batcher) startFlushSpan(to *inserter, requests []insertRequest, size int) (context.Context, trace.Span) {
	links := make([]trace.Link, 0, len(requests)-1)
	for _, req := range requests[1:] {
		if req.span.IsValid() {
			links = append(links, trace.Link{SpanContext: req.span})
		}
	}
	parent := trace.ContextWithSpanContext(context.Background(), requests[0].span)
	return b.tracer.Start(parent, "GroupCommit "+to.collection.Name(),
		trace.WithLinks(links...),
		trace.WithAttributes(attribute.Int("txsync.group_commit.size", size)),
	)
}

// rejectWaiting fails the requests handed over but not flushed when the batcher stops.
func (b *batcher) rejectWaiting() {
	for {
		select {
		case req := <-b.requests:
			req.result <- repeat(errClosing, len(req.docs))
		default:
			return
		}
	}
}

// close stops the flushes after the one in progress. Callers still waiting to hand over
// documents get application.ErrStoreUnavailable.
func (b *batcher) close() {
	b.closeMu.Lock()
	b.closed = true
	b.closeMu.Unlock()
	close(b.stop)
	b.done.Wait()
}
