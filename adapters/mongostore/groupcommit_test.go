package mongostore_test

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
)

var groupCommit = &mongostore.GroupCommit{MaxBatch: 50, MaxWait: 5 * time.Millisecond, Timeout: 10 * time.Second}

func TestGroupCommit_eachCallerGetsItsOutcome(t *testing.T) {
	t.Parallel()
	store := newStoreWith(t, storeURI, groupCommit)
	transactions := store.Transactions()

	// 60 distinct purchases and 20 copies of one more, all at once: several batches, with
	// duplicates inside one batch.
	const distinct, copies = 60, 20
	errs := make([]error, distinct+copies)
	var wg sync.WaitGroup
	for i := range distinct {
		wg.Go(func() {
			errs[i] = transactions.Insert(t.Context(), samplePurchase(int64(i+1), "client-1", fmt.Sprint("T-", i)))
		})
	}
	for i := range copies {
		wg.Go(func() {
			errs[distinct+i] = transactions.Insert(t.Context(), samplePurchase(int64(1000+i), "client-1", "copy"))
		})
	}
	wg.Wait()

	for i, err := range errs[:distinct] {
		if err != nil {
			t.Errorf("purchase %d: %v, want stored", i, err)
		}
	}
	stored, duplicates := 0, 0
	for _, err := range errs[distinct:] {
		switch {
		case err == nil:
			stored++
		case errors.Is(err, application.ErrDuplicate):
			duplicates++
		default:
			t.Errorf("copy: %v, want stored or duplicate", err)
		}
	}
	if stored != 1 || duplicates != copies-1 {
		t.Errorf("copies: %d stored, %d duplicates, want 1 and %d", stored, duplicates, copies-1)
	}
	for i := range distinct {
		if _, err := transactions.FindByTransactionID(t.Context(), "client-1", fmt.Sprint("T-", i)); err != nil {
			t.Errorf("find purchase %d: %v", i, err)
		}
	}
}

func TestGroupCommit_customerCreatedOnce(t *testing.T) {
	t.Parallel()
	store := newStoreWith(t, storeURI, groupCommit)
	customers := store.Customers()
	c := customer.New("m1", customer.Identifier{Type: customer.WeChat, Value: "openid"}, time.Now().UTC())

	const callers = 10
	created := make([]bool, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			if created[i], err = customers.Create(t.Context(), c); err != nil {
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()

	n := 0
	for _, ok := range created {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d callers created the customer, want 1", n)
	}
}

func TestGroupCommit_failedBatchFailsEveryCaller(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	embedded, err := embeddedstore.Start(ctx, t.TempDir(), "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	gc := *groupCommit
	gc.Timeout = time.Second
	store := newStoreWith(t, embedded.URI(), &gc)
	if err := embedded.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			callCtx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			err := store.Transactions().Insert(callCtx, samplePurchase(int64(i+1), "c", fmt.Sprint("T-", i)))
			if !errors.Is(err, application.ErrStoreUnavailable) {
				t.Errorf("insert %d into a stopped store: %v, want ErrStoreUnavailable", i, err)
			}
		})
	}
	wg.Wait()
}
