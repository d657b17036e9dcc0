package hostile_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/txsync/txsync/adapters/embeddedstore"
	"github.com/txsync/txsync/adapters/mongostore"
	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// groupCommitStore connects to a fresh embedded store with group commit, its indexes
// created. The test closes the connection itself; the embedded server stops at cleanup.
func groupCommitStore(t *testing.T) *mongostore.Store {
	t.Helper()
	server, err := embeddedstore.Start(t.Context(), t.TempDir(), "127.0.0.1:0",
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start embedded store: %v", err)
	}
	t.Cleanup(func() {
		if err := server.Stop(context.Background()); err != nil {
			t.Errorf("stop embedded store: %v", err)
		}
	})

	store, err := mongostore.Connect(server.URI(), mongostore.Options{
		Database:    "txsync",
		Timeout:     5 * time.Second,
		GroupCommit: &mongostore.GroupCommit{MaxBatch: 50, Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if err := store.EnsureIndexes(t.Context()); err != nil {
		t.Fatalf("ensure indexes: %v", err)
	}
	return store
}

// purchaseOf returns a purchase of client-1 with platformID and transactionID.
func purchaseOf(platformID int64, transactionID string) purchase.Purchase {
	details := purchase.Details{
		TransactionID: transactionID,
		Customer:      customer.Identifier{Type: customer.Phone, Value: "+8613592619028"},
		Amount:        1410,
	}
	by := partner.Principal{ClientID: "client-1", MerchantID: "m1"}
	return purchase.New(platformID, by, details, time.Now())
}

// TestGroupCommit_insertAfterCloseFailsAtOnce checks that an insert handed to a closed
// store fails at once with ErrStoreUnavailable. Waiting for its deadline instead would
// hold a request until its store timeout, or forever without one.
func TestGroupCommit_insertAfterCloseFailsAtOnce(t *testing.T) {
	t.Parallel()
	store := groupCommitStore(t)
	if err := store.Close(t.Context()); err != nil {
		t.Fatalf("close: %v", err)
	}

	const inserts = 20
	const deadline = 2 * time.Second
	transactions := store.Transactions()
	errs := make([]error, inserts)
	waits := make([]time.Duration, inserts)
	var wg sync.WaitGroup
	for i := range inserts {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), deadline)
			defer cancel()
			start := time.Now()
			errs[i] = transactions.Insert(ctx, purchaseOf(int64(i+1), fmt.Sprint("T-", i)))
			waits[i] = time.Since(start)
		})
	}
	wg.Wait()

	for i := range inserts {
		if !errors.Is(errs[i], application.ErrStoreUnavailable) {
			t.Errorf("insert %d: error = %v, want ErrStoreUnavailable", i, errs[i])
		}
		if waits[i] > deadline/2 {
			t.Errorf("insert %d: returned after %s, want at once", i, waits[i])
		}
	}
}
