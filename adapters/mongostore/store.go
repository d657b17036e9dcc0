// Package mongostore implements txsync's repositories on MongoDB, or on any server that
// speaks its wire protocol (the embedded FerretDB store), through the official driver.
//
// Every write uses majority write concern with journaling, so a write the driver reports
// done survives a crash of the server, and of a replica set's primary.
package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/txsync/txsync/application"
)

// Collection names.
const (
	transactionsCollection = "transactions"
	customersCollection    = "customers"
	clientsCollection      = "clients"
	idBlocksCollection     = "id_blocks"
	settingsCollection     = "settings"
)

// Options tune the connection to the store.
type Options struct {
	// Database is the name of the database txsync uses.
	Database string
	// Timeout bounds how long the driver waits to find a reachable server, so requests fail
	// fast with application.ErrStoreUnavailable while the store is down.
	Timeout time.Duration
	// Monitor, when set, observes every command, as tracing does.
	Monitor *event.CommandMonitor
	// ServerMonitor, when set, observes the driver's view of the servers: outages and
	// reconnects.
	ServerMonitor *event.ServerMonitor
	// GroupCommit, when set, coalesces concurrent inserts of purchases and of customers.
	GroupCommit *GroupCommit
}

// Store is a connection to the store and the repositories built on it.
type Store struct {
	client *mongo.Client
	db     *mongo.Database

	// transactions, customers and idBlocks insert into their collections, each remembering
	// the _ids it has seen stored. The repositories built on this Store share them.
	transactions *inserter
	customers    *inserter
	idBlocks     *inserter
	// batches writes the inserts of all three with group commit; nil without.
	batches *batcher
}

// Connect opens a connection pool to uri. It does not wait for the store to be reachable.
func Connect(uri string, opts Options) (*Store, error) {
	clientOpts := options.Client().
		ApplyURI(uri).
		SetServerSelectionTimeout(opts.Timeout).
		SetConnectTimeout(opts.Timeout).
		SetWriteConcern(writeconcern.Majority()).
		SetMonitor(opts.Monitor).
		SetServerMonitor(opts.ServerMonitor)
	clientOpts.WriteConcern.Journal = new(true)

	client, err := mongo.Connect(clientOpts)
	if err != nil {
		return nil, fmt.Errorf("connect to store: %w", err)
	}
	s := &Store{client: client, db: client.Database(opts.Database)}
	if gc := opts.GroupCommit; gc != nil {
		s.batches = newBatcher(*gc)
	}
	s.transactions = s.newInserter(transactionsCollection)
	s.customers = s.newInserter(customersCollection)
	s.idBlocks = s.newInserter(idBlocksCollection)
	return s, nil
}

func (s *Store) newInserter(name string) *inserter {
	return &inserter{collection: s.db.Collection(name), known: newKnownIDs(), batches: s.batches}
}

// Close finishes the batch being written, if any, then closes the connection pool,
// waiting for operations in flight until ctx ends.
func (s *Store) Close(ctx context.Context) error {
	if s.batches != nil {
		s.batches.close()
	}
	return s.client.Disconnect(ctx)
}

// Ping checks that the store responds.
func (s *Store) Ping(ctx context.Context) error {
	return translate(s.client.Ping(ctx, nil))
}

// Drop deletes the database with all its data. Tests use it to clean up.
func (s *Store) Drop(ctx context.Context) error {
	return translate(s.db.Drop(ctx))
}

// translate maps driver errors to the application's: duplicate keys to ErrDuplicate, a
// missing document to ErrNotFound and an unreachable or slow store to ErrStoreUnavailable.
// The driver's error stays in the chain for logs.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("%w: %w", application.ErrDuplicate, err)
	case errors.Is(err, mongo.ErrNoDocuments):
		return fmt.Errorf("%w: %w", application.ErrNotFound, err)
	case mongo.IsTimeout(err),
		mongo.IsNetworkError(err),
		errors.As(err, new(topology.ServerSelectionError)),
		errors.As(err, new(topology.ConnectionError)),
		errors.As(err, new(driver.RetryablePoolError)), // the pool was cleared by a failure
		isInternalError(err):
		return fmt.Errorf("%w: %w", application.ErrStoreUnavailable, err)
	default:
		return err
	}
}

// internalErrorCode is the server's code of an InternalError.
const internalErrorCode = 1

// isInternalError reports whether the server failed the command internally. FerretDB
// v1.24.2 reports a command stopped by its time limit as InternalError "interrupted"
// rather than MaxTimeMSExpired, and commands in flight while it shuts down as
// InternalError too. Its SQLite transaction is rolled back, so the client may retry.
func isInternalError(err error) bool {
	var server mongo.ServerError
	return errors.As(err, &server) && server.HasErrorCode(internalErrorCode)
}
