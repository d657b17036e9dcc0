package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/txsync/txsync/adapters/embeddedstore"
	"github.com/txsync/txsync/adapters/mongostore"
	"github.com/txsync/txsync/adapters/telemetry"
)

// storeURIFile is the file in the data folder where a running txsync with the embedded
// store writes the store's address, so CLI commands can use that store instead of opening
// the same SQLite files a second time.
const storeURIFile = "store.uri"

// storeStartTimeout bounds how long txsync waits for the store at start.
const storeStartTimeout = time.Minute

// openedStore is a connected store and, when txsync runs it, the embedded server under it.
type openedStore struct {
	*mongostore.Store
	embedded *embeddedstore.Store
	uriFile  string

	closeOnce sync.Once
	closeErr  error
}

// openStore connects to the configured store. With no TXSYNC_MONGODB_URI it uses the
// embedded store of the data folder: the one a running txsync advertises when reuse is
// true, or else one it starts on embeddedAddr. It waits until the store responds and its
// indexes exist. A non-nil tel traces the store's commands and outages.
func openStore(
	ctx context.Context,
	cfg Config,
	logger *slog.Logger,
	embeddedAddr string,
	reuse bool,
	tel *telemetry.Telemetry,
) (*openedStore, error) {
	opened := &openedStore{}
	uri := cfg.MongoDBURI
	if uri == "" && reuse {
		uri = runningEmbeddedStore(ctx, cfg)
	}
	if uri == "" {
		embedded, err := embeddedstore.Start(ctx, cfg.DataDir, embeddedAddr, logger.With("component", "embedded-store"))
		if err != nil {
			return nil, err
		}
		opened.embedded = embedded
		uri = embedded.URI()
		logger.Info("embedded store started", "data_dir", cfg.DataDir, "uri", uri)
	}

	storeOpts := mongostore.Options{Database: cfg.Database, Timeout: cfg.StoreTimeout}
	if cfg.GroupCommit {
		storeOpts.GroupCommit = &mongostore.GroupCommit{
			MaxBatch: cfg.GroupCommitMaxBatch,
			MaxWait:  cfg.GroupCommitMaxWait,
			Timeout:  cfg.StoreTimeout,
		}
	}
	if tel != nil {
		storeOpts.Monitor = tel.CommandMonitor()
		storeOpts.ServerMonitor = tel.ServerMonitor(logger)
		if storeOpts.GroupCommit != nil {
			storeOpts.GroupCommit.Tracer = tel.Tracer()
		}
	}
	store, err := mongostore.Connect(uri, storeOpts)
	if err != nil {
		opened.stopEmbedded(ctx)
		return nil, err
	}
	opened.Store = store

	if err := waitForStore(ctx, store, logger); err != nil {
		_ = opened.Close(ctx) // the start already failed; report that error
		return nil, err
	}
	if opened.embedded != nil {
		if err := opened.embedded.IndexIDLookups(ctx, cfg.Database); err != nil {
			_ = opened.Close(ctx) // the start already failed; report that error
			return nil, err
		}
	}
	return opened, nil
}

// advertise writes the embedded store's address into the data folder for CLI commands.
func (s *openedStore) advertise(cfg Config) error {
	if s.embedded == nil {
		return nil
	}
	s.uriFile = filepath.Join(cfg.DataDir, storeURIFile)
	if err := os.WriteFile(s.uriFile, []byte(s.embedded.URI()), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", s.uriFile, err)
	}
	return nil
}

// Close disconnects from the store and stops the embedded one, if any. Calls after the
// first return the first call's result.
func (s *openedStore) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var err error
		if s.Store != nil {
			err = s.Store.Close(ctx)
		}
		if s.uriFile != "" {
			_ = os.Remove(s.uriFile) // a stale file is harmless: readers ping before use
		}
		s.closeErr = errors.Join(err, s.stopEmbedded(ctx))
	})
	return s.closeErr
}

func (s *openedStore) stopEmbedded(ctx context.Context) error {
	if s.embedded == nil {
		return nil
	}
	return s.embedded.Stop(ctx)
}

// runningEmbeddedStore returns the address a running txsync advertises in the data folder,
// or "" when there is none or it does not respond.
func runningEmbeddedStore(ctx context.Context, cfg Config) string {
	uri, err := os.ReadFile(filepath.Join(cfg.DataDir, storeURIFile))
	if err != nil || len(uri) == 0 {
		return ""
	}
	store, err := mongostore.Connect(string(uri), mongostore.Options{Database: cfg.Database, Timeout: time.Second})
	if err != nil {
		return ""
	}
	defer store.Close(ctx)
	if store.Ping(ctx) != nil {
		return ""
	}
	return string(uri)
}

// waitForStore creates the indexes, retrying while the store is not reachable yet, as
// when txsync and its store start side by side.
func waitForStore(ctx context.Context, store *mongostore.Store, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, storeStartTimeout)
	defer cancel()

	for attempt := 1; ; attempt++ {
		err := store.EnsureIndexes(ctx)
		if err == nil {
			return nil
		}
		logger.Warn("store not ready, retrying", "attempt", attempt, "error", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("store not ready after %s: %w", storeStartTimeout, err)
		case <-time.After(time.Second):
		}
	}
}
