package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/txsync/txsync/adapters/embeddedstore"
	"github.com/txsync/txsync/adapters/mongostore"
	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// storeURI is the embedded store every test of this package shares; each test uses a
// database of its own.
var storeURI string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mongostore-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	store, err := embeddedstore.Start(context.Background(), dir, "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	storeURI = store.URI()
	code := m.Run()
	_ = store.Stop(context.Background()) // the process exits next
	os.RemoveAll(dir)
	os.Exit(code)
}

var databases atomic.Int64

// newStore connects to a fresh database with its indexes, dropped when the test ends.
func newStore(t *testing.T) *mongostore.Store {
	t.Helper()
	return newStoreWith(t, storeURI, nil)
}

// newStoreWith connects to a fresh database of the store at uri, with group commit when gc
// is not nil.
func newStoreWith(t *testing.T, uri string, gc *mongostore.GroupCommit) *mongostore.Store {
	t.Helper()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), databases.Add(1))
	store, err := mongostore.Connect(uri, mongostore.Options{Database: name, Timeout: 5 * time.Second, GroupCommit: gc})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if err := store.EnsureIndexes(t.Context()); err != nil {
		t.Fatalf("ensure indexes: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = store.Drop(ctx)  // a test may have stopped its store; the folder goes with it
		_ = store.Close(ctx) // teardown: nothing left to report
	})
	return store
}

func samplePurchase(platformID int64, clientID, transactionID string) purchase.Purchase {
	nick := "ethan"
	gender := customer.Male
	details := purchase.Details{
		TransactionID:  transactionID,
		Customer:       customer.Identifier{Type: customer.Phone, Value: "+8613592619028"},
		PurchaseTime:   time.Date(2016, 3, 24, 2, 10, 0, 0, time.UTC),
		Amount:         1410,
		CouponAmount:   80,
		CouponDetailID: 123456,
		Profile:        customer.Profile{NickName: &nick, Gender: &gender},
	}
	by := partner.Principal{ClientID: clientID, MerchantID: "m1"}
	return purchase.New(platformID, by, details, time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC))
}

func TestTransactions_insertThenFind(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	transactions := store.Transactions()
	want := samplePurchase(7, "client-1", "T-1")

	if err := transactions.Insert(t.Context(), want); err != nil {
		t.Fatalf("insert: %v", err)
	}
	got, err := transactions.FindByTransactionID(t.Context(), "client-1", "T-1")
	if err != nil {
		t.Fatalf("find: %v", err)
	}

	if diff := got.Details.Diff(want.Details); diff != nil {
		t.Errorf("stored purchase differs in %v", diff)
	}
	if got.PlatformID != want.PlatformID || got.ClientID != want.ClientID ||
		got.MerchantID != want.MerchantID || got.CustomerID != want.CustomerID {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if !got.ReceivedAt.Equal(want.ReceivedAt) {
		t.Errorf("received at %s, want %s", got.ReceivedAt, want.ReceivedAt)
	}
}

func TestTransactions_duplicateInsert(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	transactions := store.Transactions()
	if err := transactions.Insert(t.Context(), samplePurchase(1, "client-1", "T-1")); err != nil {
		t.Fatalf("insert: %v", err)
	}

	tests := []struct {
		name string
		p    purchase.Purchase
		want error
	}{
		{"same client and transaction id", samplePurchase(2, "client-1", "T-1"), application.ErrDuplicate},
		{"same platform id", samplePurchase(1, "client-1", "T-2"), application.ErrDuplicate},
		{"other client, same transaction id", samplePurchase(3, "client-2", "T-1"), nil},
	}
	for _, tt := range tests {
		err := transactions.Insert(t.Context(), tt.p)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestTransactions_findMissing(t *testing.T) {
	t.Parallel()
	store := newStore(t)

	_, err := store.Transactions().FindByTransactionID(t.Context(), "client-1", "nope")
	if !errors.Is(err, application.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestTransactions_listByCustomerPages(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	transactions := store.Transactions()
	for i := int64(1); i <= 3; i++ {
		if err := transactions.Insert(t.Context(), samplePurchase(i, "client-1", fmt.Sprint("T-", i))); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}

	customerID := samplePurchase(1, "client-1", "x").CustomerID
	tests := []struct {
		before int64
		limit  int
		want   []int64
	}{
		{0, 10, []int64{3, 2, 1}},
		{0, 2, []int64{3, 2}},
		{3, 10, []int64{2, 1}},
		{2, 1, []int64{1}},
		{1, 10, nil},
	}
	for _, tt := range tests {
		list, err := transactions.ListByCustomer(t.Context(), customerID, tt.before, tt.limit)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		var got []int64
		for _, p := range list {
			got = append(got, p.PlatformID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListByCustomer(before %d, limit %d) = %v, want %v", tt.before, tt.limit, got, tt.want)
		}
	}

	p, err := transactions.FindByPlatformID(t.Context(), 2)
	if err != nil || p.TransactionID != "T-2" {
		t.Errorf("FindByPlatformID(2) = %q, %v, want T-2", p.TransactionID, err)
	}
	if _, err := transactions.FindByPlatformID(t.Context(), 99); !errors.Is(err, application.ErrNotFound) {
		t.Errorf("FindByPlatformID(99): err = %v, want ErrNotFound", err)
	}
}

func TestCustomers_createOnce(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	customers := store.Customers()
	c := customer.New("m1", customer.Identifier{Type: customer.WeChat, Value: "openid"}, time.Now().UTC())

	for i, want := range []bool{true, false} {
		created, err := customers.Create(t.Context(), c)
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		if created != want {
			t.Errorf("create %d: created = %t, want %t", i, created, want)
		}
	}
	n, err := customers.Count(t.Context(), "m1")
	if err != nil || n != 1 {
		t.Errorf("count = %d, %v, want 1", n, err)
	}
	got, err := customers.Find(t.Context(), c.ID)
	if err != nil || got.Identifier != c.Identifier {
		t.Errorf("find = %+v, %v, want identifier %+v", got, err, c.Identifier)
	}
}

func TestIDBlocks_uniqueAcrossInstances(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	// Two sources on one store stand for two instances of txsync.
	sources := []application.IDSource{store.IDBlocks(), store.IDBlocks()}

	const perSource = 2500
	var mu sync.Mutex
	seen := make(map[int64]bool)
	var wg sync.WaitGroup
	for _, source := range sources {
		for range 4 {
			wg.Go(func() {
				for range perSource / 4 {
					id, err := source.NextTransactionID(t.Context())
					if err != nil {
						t.Errorf("next id: %v", err)
						return
					}
					mu.Lock()
					if seen[id] {
						t.Errorf("id %d handed out twice", id)
					}
					seen[id] = true
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()

	if len(seen) != 2*perSource {
		t.Errorf("got %d distinct ids, want %d", len(seen), 2*perSource)
	}
	for id := range seen {
		if id <= 0 || id >= 1<<53 {
			t.Errorf("id %d is not a positive integer below 2^53", id)
		}
	}
}

func TestClients_lifecycle(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	clients := store.Clients()
	c := partner.Client{ID: uuid.NewString(), MerchantID: "m1", Name: "till", SecretHash: []byte("hash"),
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}

	if err := clients.Create(t.Context(), c); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := clients.Disable(t.Context(), c.ID); err != nil {
		t.Fatalf("disable: %v", err)
	}
	got, err := clients.Find(t.Context(), c.ID)
	if err != nil {
		t.Fatalf("find: %v", err)
	}
	if !got.Disabled || got.MerchantID != "m1" || string(got.SecretHash) != "hash" {
		t.Errorf("found %+v, want the disabled client with its merchant and hash", got)
	}
	limited := partner.Client{ID: uuid.NewString(), MerchantID: "m1", Name: "limited", CreatedAt: c.CreatedAt.Add(time.Second)}
	plain := partner.Client{ID: uuid.NewString(), MerchantID: "m1", Name: "plain", CreatedAt: c.CreatedAt.Add(2 * time.Second)}
	for _, other := range []partner.Client{limited, plain} {
		if err := clients.Create(t.Context(), other); err != nil {
			t.Fatal(err)
		}
	}
	own := partner.RateLimit{PerSecond: 2.5, Burst: 7}
	if err := clients.SetRateLimit(t.Context(), limited.ID, own); err != nil {
		t.Fatalf("set rate limit: %v", err)
	}
	withPolicies, err := clients.ListWithPolicies(t.Context())
	if err != nil || len(withPolicies) != 2 {
		t.Fatalf("with policies = %v, %v, want the disabled and the limited client", withPolicies, err)
	}
	if withPolicies[0].ID != c.ID || withPolicies[1].RateLimit != own {
		t.Errorf("with policies = %+v, want %s disabled then %s limited to %+v", withPolicies, c.ID, limited.ID, own)
	}
	if err := clients.SetRateLimit(t.Context(), limited.ID, partner.RateLimit{}); err != nil {
		t.Fatalf("reset rate limit: %v", err)
	}
	if withPolicies, _ := clients.ListWithPolicies(t.Context()); len(withPolicies) != 1 {
		t.Errorf("after the reset, %d clients have policies, want 1", len(withPolicies))
	}
	if err := clients.SetRateLimit(t.Context(), "nope", own); !errors.Is(err, application.ErrNotFound) {
		t.Errorf("set rate limit of unknown: err = %v, want ErrNotFound", err)
	}
	if err := clients.Disable(t.Context(), "nope"); !errors.Is(err, application.ErrNotFound) {
		t.Errorf("disable unknown: err = %v, want ErrNotFound", err)
	}
	if _, err := clients.Find(t.Context(), "nope"); !errors.Is(err, application.ErrNotFound) {
		t.Errorf("find unknown: err = %v, want ErrNotFound", err)
	}
}

func TestStore_tokenSigningKeyShared(t *testing.T) {
	t.Parallel()
	store := newStore(t)

	first, err := store.TokenSigningKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	second, err := store.TokenSigningKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 32 {
		t.Errorf("key has %d bytes, want at least 32", len(first))
	}
	if string(first) != string(second) {
		t.Errorf("second call returned another key, want the stored one")
	}
}

func TestStore_unreachableIsUnavailable(t *testing.T) {
	t.Parallel()
	store, err := mongostore.Connect("mongodb://127.0.0.1:1/", mongostore.Options{Database: "x", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(context.Background())

	err = store.Transactions().Insert(t.Context(), samplePurchase(1, "c", "t"))
	if !errors.Is(err, application.ErrStoreUnavailable) {
		t.Errorf("err = %v, want ErrStoreUnavailable", err)
	}
}

// TestEnsureIndexes_ferretDBSkipsQueryIndexes checks that on FerretDB, which serves
// queries without secondary indexes, EnsureIndexes keeps the unique index but drops the
// customer listing index, also when an earlier start created it.
func TestEnsureIndexes_ferretDBSkipsQueryIndexes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), databases.Add(1))
	client, err := mongo.Connect(options.Client().ApplyURI(storeURI))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.Database(name).Drop(context.Background()) // teardown
		_ = client.Disconnect(context.Background())          // teardown
	})
	view := client.Database(name).Collection("transactions").Indexes()
	_, err = view.CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "customer_id", Value: 1}, {Key: "platform_id", Value: -1}},
		Options: options.Index().SetName("customer_id_platform_id"),
	})
	if err != nil {
		t.Fatalf("create the listing index as an earlier start did: %v", err)
	}
	store, err := mongostore.Connect(storeURI, mongostore.Options{Database: name, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(context.Background()) }) // teardown

	if err := store.EnsureIndexes(ctx); err != nil {
		t.Fatalf("ensure indexes: %v", err)
	}

	specs, err := view.ListSpecifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, spec := range specs {
		names = append(names, spec.Name)
	}
	if !slices.Contains(names, "platform_id_unique") {
		t.Errorf("indexes %v, want platform_id_unique", names)
	}
	if slices.Contains(names, "customer_id_platform_id") {
		t.Errorf("indexes %v, want no customer_id_platform_id", names)
	}
}
