// Package embeddedstore runs FerretDB v1 inside the txsync process: a MongoDB-compatible
// server over SQLite files in a local folder, so txsync runs without a separate database.
package embeddedstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// newMu serializes ferretdb.New, which writes a package-level version record without
// synchronization (FerretDB v1.24.2), so stores can start side by side in one process.
var newMu sync.Mutex

// Store is a running embedded store.
type Store struct {
	uri    string
	dir    string // the folder of the SQLite files, one per database
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs the store on the SQLite files in dir, which it creates when missing, and
// listens on addr ("127.0.0.1:0" picks a free port). It returns once the store accepts
// connections. Stop it with Stop.
func Start(ctx context.Context, dir, addr string, logger *slog.Logger) (*Store, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("embedded store address %q: %w", addr, err)
	}
	if host == "" {
		return nil, fmt.Errorf("embedded store address %q: the host is missing", addr)
	}

	sqliteDir := filepath.Join(dir, "sqlite")
	if err := os.MkdirAll(sqliteDir, 0o700); err != nil {
		return nil, fmt.Errorf("create embedded store folder: %w", err)
	}
	abs, err := filepath.Abs(sqliteDir)
	if err != nil {
		return nil, fmt.Errorf("embedded store folder %s: %w", sqliteDir, err)
	}

	newMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
		Logger:    slog.New(errorsOnly{handler: logger.Handler()}),
	})
	newMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("start embedded store: %w", err)
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Store{uri: f.MongoDBURI(), dir: abs, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := f.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("embedded store stopped", "error", err)
		}
	}()
	return s, nil
}

// URI returns the MongoDB connection string of the store.
func (s *Store) URI() string {
	return s.uri
}

// Stop closes the listener and the SQLite files, waiting until both are closed or ctx ends.
func (s *Store) Stop(ctx context.Context) error {
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop embedded store: %w", ctx.Err())
	}
}

// errorsOnly passes on only errors. FerretDB logs every connection at info level. At
// warning level it logs the full protocol message of every error it returns to a client,
// such as a lookup of a collection that does not exist yet, which txsync handles.
//
// It applies WithAttrs and WithGroup only when it handles a record. FerretDB derives a
// logger with attributes for every connection and command, and a JSON handler formats
// attributes as they are added: at 2,500 purchases/s that was 2% of the CPU time, spent
// on loggers that never logged.
type errorsOnly struct {
	handler slog.Handler
	derive  []func(slog.Handler) slog.Handler // the WithAttrs and WithGroup calls, in order
}

func (w errorsOnly) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelError && w.handler.Enabled(ctx, level)
}

func (w errorsOnly) Handle(ctx context.Context, r slog.Record) error {
	h := w.handler
	for _, derive := range w.derive {
		h = derive(h)
	}
	return h.Handle(ctx, r)
}

func (w errorsOnly) WithAttrs(attrs []slog.Attr) slog.Handler {
	return w.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })
}

func (w errorsOnly) WithGroup(name string) slog.Handler {
	return w.with(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
}

func (w errorsOnly) with(derive func(slog.Handler) slog.Handler) errorsOnly {
	return errorsOnly{handler: w.handler, derive: append(slices.Clip(w.derive), derive)}
}
