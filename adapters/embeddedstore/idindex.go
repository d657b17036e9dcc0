package embeddedstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB uses, registered as "sqlite"
)

// idPathIndexSuffix names the index IndexIDLookups adds to a collection's table.
const idPathIndexSuffix = "_txsync_id_path"

// IndexIDLookups adds to every collection of database a SQLite index that FerretDB's
// lookups by _id can use, and does nothing for collections that have one already.
//
// FerretDB 1.24.2 indexes _id on the expression _ferretdb_sjson->"_id" but looks documents
// up with WHERE _ferretdb_sjson->'$._id' = ?. SQLite uses an index on an expression only
// for the same expression, so without this index every find by _id scans its collection:
// 17 ms at 8,000 purchases, against 0.6 ms with it (measured here). SQLite keeps the index
// current on every write, and dropping the collection drops it.
//
// Call it once the collections exist: collections created later have no such index, and
// a database without collections is an error.
func (s *Store) IndexIDLookups(ctx context.Context, database string) error {
	path := filepath.Join(s.dir, database+".sqlite")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: path}).String()+
		"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()

	tables, err := collectionTables(ctx, db)
	if err != nil {
		return fmt.Errorf("list the collections of %s: %w", path, err)
	}
	for _, table := range tables {
		statement := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`,
			table+idPathIndexSuffix, table)
		if _, err := db.ExecContext(ctx, statement); err != nil {
			return fmt.Errorf("index _id lookups of table %s in %s: %w", table, path, err)
		}
	}
	return nil
}

// collectionTables returns the names of the tables that hold FerretDB's collections.
func collectionTables(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			return nil, err
		}
		tables = append(tables, table)
	}
	return tables, errors.Join(rows.Err(), rows.Close())
}
