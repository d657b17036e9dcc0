package faults_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// storedTransaction is the part of a stored purchase that these tests check. txsync
// stores purchases in the collection transactions of the database txsync, under the
// _id "<client id>/<transaction id>".
type storedTransaction struct {
	ID            string `bson:"_id"`
	PlatformID    int64  `bson:"platform_id"`
	ClientID      string `bson:"client_id"`
	TransactionID string `bson:"transaction_id"`
}

// readStored returns every purchase in the store at storeURI. Each test has a store of
// its own, so they are all the test's.
func readStored(t *testing.T, storeURI string) []storedTransaction {
	t.Helper()

	var stored []storedTransaction
	withStore(t, storeURI, func(ctx context.Context, db *mongo.Database) {
		cursor, err := db.Collection("transactions").Find(ctx, bson.D{})
		if err != nil {
			t.Fatalf("find stored purchases: %v", err)
		}

		if err := cursor.All(ctx, &stored); err != nil {
			t.Fatalf("read stored purchases: %v", err)
		}
	})

	return stored
}

// countCustomers returns how many customers the store at storeURI holds.
func countCustomers(t *testing.T, storeURI string) int64 {
	t.Helper()

	var count int64
	withStore(t, storeURI, func(ctx context.Context, db *mongo.Database) {
		var err error
		count, err = db.Collection("customers").CountDocuments(ctx, bson.D{})
		if err != nil {
			t.Fatalf("count stored customers: %v", err)
		}
	})

	return count
}

// withStore connects to the database txsync of the store at storeURI, calls use and
// disconnects.
func withStore(t *testing.T, storeURI string, use func(context.Context, *mongo.Database)) {
	t.Helper()

	client, err := mongo.Connect(options.Client().ApplyURI(storeURI).SetTimeout(requestTimeout))
	if err != nil {
		t.Fatalf("connect to the store at %s: %v", storeURI, err)
	}
	defer func() {
		// The test has read what it needs; a failed disconnect leaves nothing behind.
		_ = client.Disconnect(context.WithoutCancel(t.Context()))
	}()

	use(t.Context(), client.Database("txsync"))
}

// assertCustomers fails t unless the store at storeURI holds exactly one customer for
// every customer the purchases name. A purchase stored without its customer, as when
// txsync stops between the two inserts, gets the customer on its retry.
func assertCustomers(t *testing.T, storeURI string, purchases []*purchase) {
	t.Helper()

	want := int64(distinctCustomers(purchases))
	if got := countCustomers(t, storeURI); got != want {
		t.Errorf("the store has %d customers, want %d", got, want)
	}
}

func distinctCustomers(purchases []*purchase) int {
	customers := make(map[int]bool)
	for _, p := range purchases {
		customers[p.customer] = true
	}

	return len(customers)
}
