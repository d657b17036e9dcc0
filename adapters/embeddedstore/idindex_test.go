package embeddedstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/txsync/txsync/adapters/embeddedstore"
)

// TestIndexIDLookups_findByIDUsesIndex checks that after IndexIDLookups, SQLite plans
// FerretDB's lookup by _id with the new index, and that finds by _id still return the
// right document.
func TestIndexIDLookups_findByIDUsesIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := embeddedstore.Start(ctx, dir, "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Stop(context.Background()) }) // teardown
	client, err := mongo.Connect(options.Client().ApplyURI(store.URI()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) }) // teardown
	collection := client.Database("shop").Collection("orders")
	var docs []any
	for i := range 50 {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprint("client/T-", i)}, {Key: "n", Value: i}})
	}
	if _, err := collection.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}

	for range 2 { // a second call finds the index in place
		if err := store.IndexIDLookups(ctx, "shop"); err != nil {
			t.Fatalf("index _id lookups: %v", err)
		}
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "sqlite", "shop.sqlite")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	err = db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = 'orders'`).
		Scan(&table)
	if err != nil {
		t.Fatal(err)
	}
	// The statement FerretDB 1.24.2 runs for a find by _id with a limit.
	query := fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ? LIMIT ?`, table)
	rows, err := db.QueryContext(ctx, query, `"client/T-7"`, 1)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()
	if want := table + "_txsync_id_path"; !strings.Contains(strings.Join(plan, "; "), want) {
		t.Errorf("query plan %q, want it to use index %s", plan, want)
	}

	var found bson.M
	if err := collection.FindOne(ctx, bson.D{{Key: "_id", Value: "client/T-7"}}).Decode(&found); err != nil {
		t.Fatalf("find by _id: %v", err)
	}
	if found["n"] != int32(7) {
		t.Errorf("find by _id: n = %v, want 7", found["n"])
	}
}

func TestIndexIDLookups_missingDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := embeddedstore.Start(ctx, t.TempDir(), "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Stop(context.Background()) }) // teardown

	err = store.IndexIDLookups(ctx, "nothing")

	if err == nil || !strings.Contains(err.Error(), "nothing.sqlite") {
		t.Errorf("error %v, want one naming nothing.sqlite", err)
	}
}
