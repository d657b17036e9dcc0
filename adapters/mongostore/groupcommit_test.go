package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/txsync/txsync/adapters/embeddedstore"
	"github.com/txsync/txsync/adapters/mongostore"
	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/purchase"
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

// TestGroupCommit_oneWriteAtATime checks that with group commit the inserts of purchases
// and of customers, single and bulk, reach the store one command at a time, since SQLite
// under the embedded store takes one writer at a time.
func TestGroupCommit_oneWriteAtATime(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	inFlight, maxInFlight, inserts := 0, 0, 0
	monitor := &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			if e.CommandName != "insert" {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			inFlight++
			inserts++
			maxInFlight = max(maxInFlight, inFlight)
		},
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			if e.CommandName == "insert" {
				mu.Lock()
				defer mu.Unlock()
				inFlight--
			}
		},
		Failed: func(_ context.Context, e *event.CommandFailedEvent) {
			if e.CommandName == "insert" {
				mu.Lock()
				defer mu.Unlock()
				inFlight--
			}
		},
	}
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), databases.Add(1))
	store, err := mongostore.Connect(storeURI, mongostore.Options{
		Database: name, Timeout: 5 * time.Second, Monitor: monitor, GroupCommit: groupCommit,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = store.Drop(context.Background())  // teardown
		_ = store.Close(context.Background()) // teardown
	})

	var wg sync.WaitGroup
	for i := range 40 {
		p := samplePurchase(int64(i+1), "client-1", fmt.Sprint("T-", i))
		c := customer.New("m1", customer.Identifier{Type: customer.WeChat, Value: fmt.Sprint("o-", i)}, time.Now().UTC())
		wg.Go(func() {
			if err := store.Transactions().Insert(t.Context(), p); err != nil {
				t.Errorf("insert purchase %d: %v", i, err)
			}
		})
		wg.Go(func() {
			if _, err := store.Customers().Create(t.Context(), c); err != nil {
				t.Errorf("create customer %d: %v", i, err)
			}
		})
		if i%10 == 0 {
			bulk := []purchase.Purchase{samplePurchase(int64(100+i), "client-1", fmt.Sprint("B-", i))}
			wg.Go(func() {
				for _, err := range store.Transactions().InsertMany(t.Context(), bulk) {
					if err != nil {
						t.Errorf("bulk insert %d: %v", i, err)
					}
				}
			})
		}
	}
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if maxInFlight != 1 {
		t.Errorf("at most %d inserts ran at once, want 1", maxInFlight)
	}
	if inserts < 2 {
		t.Errorf("%d insert commands, want at least one per collection", inserts)
	}
}
