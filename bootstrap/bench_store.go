package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// Bounds and defaults of txsync bench --target store.
const (
	defaultStoreBatchSize = 200
	maxStoreBatchSize     = 1000
	defaultBenchWriters   = 2
	maxBenchWriters       = 64
)

// storeReport is the outcome of txsync bench --target store.
type storeReport struct {
	Target    string `json:"target"`
	Merchant  string `json:"merchant"`
	Writers   int    `json:"writers"`
	BatchSize int    `json:"batch_size"`
	// Seconds is the time from the first write to the end of the last batch.
	Seconds float64 `json:"seconds"`
	// Purchases and Customers count the documents stored in each collection, and
	// Documents is their sum.
	Purchases          int64   `json:"purchases"`
	Customers          int64   `json:"customers"`
	Documents          int64   `json:"documents"`
	PurchasesPerSecond float64 `json:"purchases_per_second"`
	DocumentsPerSecond float64 `json:"documents_per_second"`
	// Interrupted is true when the run stopped early on an interrupt or an error.
	Interrupted bool `json:"interrupted"`
}

// benchStore opens a fresh embedded store and, for duration, inserts new purchases, each
// with a new customer, through the store's bulk methods, then prints the rates. No HTTP
// is involved.
func benchStore(
	ctx context.Context,
	opts benchOptions,
	duration time.Duration,
	stdout, stderr io.Writer,
) (err error) {
	cfg, removeDataDir, err := benchConfig(opts.settings, nil)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, removeDataDir()) }()
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	fmt.Fprintf(stderr, "starting the embedded store in %s\n", cfg.DataDir)
	store, err := openStore(ctx, cfg, logger, "127.0.0.1:0", false, nil)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		err = errors.Join(err, store.Close(closeCtx))
	}()

	run := bulkRun{
		loader:    newBulkLoader(store, "bench-store", 0),
		writers:   opts.writers,
		batchSize: int64(opts.storeBatchSize),
	}
	fmt.Fprintf(stderr, "inserting purchases for %s with %d writer(s) in batches of %d\n",
		duration, run.writers, run.batchSize)
	var counts bulkCounts
	started := time.Now()
	run.deadline = started.Add(duration)
	runErr := run.run(ctx, &counts)
	report := newStoreReport(run, &counts, time.Since(started), runErr != nil)

	if report.Purchases == 0 {
		return runErr
	}
	return errors.Join(runErr, writeStoreReport(report, opts.jsonPath, stdout))
}

func newStoreReport(
	run bulkRun,
	counts *bulkCounts,
	elapsed time.Duration,
	interrupted bool,
) storeReport {
	r := storeReport{
		Target:      targetStore,
		Merchant:    run.loader.by.MerchantID,
		Writers:     run.writers,
		BatchSize:   int(run.batchSize),
		Seconds:     elapsed.Seconds(),
		Purchases:   counts.purchases.Load(),
		Customers:   counts.customers.Load(),
		Interrupted: interrupted,
	}
	r.Documents = r.Purchases + r.Customers
	if r.Seconds > 0 {
		r.PurchasesPerSecond = float64(r.Purchases) / r.Seconds
		r.DocumentsPerSecond = float64(r.Documents) / r.Seconds
	}
	return r
}

// writeStoreReport prints report in one line and writes it as JSON to jsonPath, when set.
func writeStoreReport(report storeReport, jsonPath string, stdout io.Writer) error {
	interrupted := ""
	if report.Interrupted {
		interrupted = " (interrupted)"
	}
	_, err := fmt.Fprintf(stdout, "store bulk insert%s: %.1f purchases/s, %.1f documents/s "+
		"(%d purchases and %d new customers in %.2fs, %d writer(s), batches of %d purchases)\n",
		interrupted, report.PurchasesPerSecond, report.DocumentsPerSecond,
		report.Purchases, report.Customers, report.Seconds, report.Writers, report.BatchSize)
	if err != nil || jsonPath == "" {
		return err
	}

	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return fmt.Errorf("write the JSON report: %w", err)
	}
	if err := os.WriteFile(jsonPath, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the JSON report: %w", err)
	}
	return nil
}
