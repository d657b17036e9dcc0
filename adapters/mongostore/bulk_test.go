package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/txsync/txsync/adapters/mongostore"
	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/purchase"
)

// insertLog records the _ids of every insert command a Store sends, per command.
type insertLog struct {
	mu       sync.Mutex
	commands [][]string
}

func (l *insertLog) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		if e.CommandName != "insert" {
			return
		}
		docs, err := e.Command.LookupErr("documents")
		if err != nil {
			return
		}
		values, err := docs.Array().Values()
		if err != nil {
			return
		}
		var ids []string
		for _, v := range values {
			ids = append(ids, v.Document().Lookup("_id").StringValue())
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.commands = append(l.commands, ids)
	}}
}

// take returns the commands recorded since the last call.
func (l *insertLog) take() [][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	commands := l.commands
	l.commands = nil
	return commands
}

// newLoggedStore connects to database name of the shared store, recording its inserts.
func newLoggedStore(t *testing.T, name string) (*mongostore.Store, *insertLog) {
	t.Helper()
	log := &insertLog{}
	store, err := mongostore.Connect(storeURI, mongostore.Options{
		Database: name, Timeout: 5 * time.Second, Monitor: log.monitor(),
	})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = store.Close(context.Background()) }) // teardown
	return store, log
}

func TestCustomers_createManySendsEachOnce(t *testing.T) {
	t.Parallel()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), databases.Add(1))
	store, log := newLoggedStore(t, name)
	t.Cleanup(func() { _ = store.Drop(context.Background()) })
	customers := store.Customers()
	now := time.Now().UTC()
	a := customer.New("m1", customer.Identifier{Type: customer.WeChat, Value: "a"}, now)
	b := customer.New("m1", customer.Identifier{Type: customer.WeChat, Value: "b"}, now)
	c := customer.New("m1", customer.Identifier{Type: customer.WeChat, Value: "c"}, now)

	steps := []struct {
		name        string
		customers   []customer.Customer
		wantCreated []bool
		wantSent    [][]string
	}{
		{"a repeated in one call", []customer.Customer{a, b, a},
			[]bool{true, true, false}, [][]string{{a.ID.String(), b.ID.String()}}},
		{"a known, c new", []customer.Customer{a, c},
			[]bool{false, true}, [][]string{{c.ID.String()}}},
		{"all known", []customer.Customer{b, c}, []bool{false, false}, nil},
	}
	for _, step := range steps {
		created, err := customers.CreateMany(t.Context(), step.customers)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if !slices.Equal(created, step.wantCreated) {
			t.Errorf("%s: created %v, want %v", step.name, created, step.wantCreated)
		}
		if got := log.take(); !slices.EqualFunc(got, step.wantSent, slices.Equal) {
			t.Errorf("%s: inserts sent %v, want %v", step.name, got, step.wantSent)
		}
	}

	// A second connection has none of them cached, so it learns from the store.
	other, otherLog := newLoggedStore(t, name)
	created, err := other.Customers().Create(t.Context(), a)
	if err != nil || created {
		t.Errorf("create a through a second connection: created %v, %v; want false, nil", created, err)
	}
	if got := otherLog.take(); len(got) != 1 {
		t.Errorf("second connection sent %v, want one insert of a", got)
	}
	if created, err := other.Customers().Create(t.Context(), a); err != nil || created {
		t.Errorf("create a again: created %v, %v; want false, nil", created, err)
	}
	if got := otherLog.take(); len(got) != 0 {
		t.Errorf("second connection sent %v for a customer it has cached, want nothing", got)
	}
}

func TestTransactions_insertManySendsEachOnce(t *testing.T) {
	t.Parallel()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), databases.Add(1))
	store, log := newLoggedStore(t, name)
	t.Cleanup(func() { _ = store.Drop(context.Background()) })
	transactions := store.Transactions()
	first := samplePurchase(1, "client-1", "T-1")
	second := samplePurchase(2, "client-1", "T-2")
	again := samplePurchase(3, "client-1", "T-1")

	outcomes := transactions.InsertMany(t.Context(), []purchase.Purchase{first, second, again})

	if outcomes[0] != nil || outcomes[1] != nil || !errors.Is(outcomes[2], application.ErrDuplicate) {
		t.Errorf("outcomes %v, want nil, nil and a duplicate", outcomes)
	}
	if got := log.take(); len(got) != 1 || len(got[0]) != 2 {
		t.Errorf("inserts sent %v, want one with T-1 and T-2", got)
	}
	if err := transactions.Insert(t.Context(), again); !errors.Is(err, application.ErrDuplicate) {
		t.Errorf("insert T-1 again: %v, want ErrDuplicate", err)
	}
	if got := log.take(); len(got) != 0 {
		t.Errorf("inserts sent %v for a stored purchase, want none", got)
	}
	stored, err := transactions.FindByTransactionID(t.Context(), "client-1", "T-1")
	if err != nil || stored.PlatformID != first.PlatformID {
		t.Errorf("find T-1: platform id %d, %v; want %d", stored.PlatformID, err, first.PlatformID)
	}
}
