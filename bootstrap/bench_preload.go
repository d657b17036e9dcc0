package bootstrap

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// Bounds of txsync bench --preload.
const (
	maxPreload       = 5_000_000
	preloadBatchSize = 200
	// preloadCustomerShare spreads the preloaded purchases over a quarter as many customers.
	preloadCustomerShare = 4
	preloadProgressEvery = time.Second
)

// preload inserts count purchases of a merchant of its own into store before the load,
// spread over count/4 customers, through the store's bulk methods with writers
// goroutines. It prints its progress to stderr at most once a second.
func preload(
	ctx context.Context,
	store *openedStore,
	count int64,
	writers int,
	stderr io.Writer,
) error {
	customers := max(1, count/preloadCustomerShare)
	run := bulkRun{
		loader:    newBulkLoader(store, "bench-preload", customers),
		writers:   writers,
		batchSize: preloadBatchSize,
		total:     count,
	}
	fmt.Fprintf(stderr, "preloading %d purchases of %d customers of merchant %s\n",
		count, customers, run.loader.by.MerchantID)

	var counts bulkCounts
	started := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		ticker := time.NewTicker(preloadProgressEvery)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				stored := counts.purchases.Load()
				fmt.Fprintf(stderr, "preload: %d of %d purchases (%.0f%%), %d customers, %.0fs\n",
					stored, count, 100*float64(stored)/float64(count), counts.customers.Load(),
					time.Since(started).Seconds())
			}
		}
	})
	err := run.run(ctx, &counts)
	close(done)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}

	fmt.Fprintf(stderr, "preloaded %d purchases and %d customers in %.1fs\n",
		counts.purchases.Load(), counts.customers.Load(), time.Since(started).Seconds())
	return nil
}
