package bootstrap

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	mathrand "math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/txsync/txsync/adapters/loadtest"
)

// Bounds of the bench command, so that every run stops by itself.
const (
	maxBenchStep      = time.Hour
	maxBenchRampSteps = 100
)

// defaultHTTPBatchSize is the number of purchases per request of --endpoint batch.
const defaultHTTPBatchSize = 100

// Targets of txsync bench --target. Without --target, the bench targets the running
// txsync at --url.
const (
	// targetTxsync starts txsync in process on an embedded store, as --embedded does.
	targetTxsync = "txsync"
	// targetNoop starts txsync in process with RecordTransaction wired to repositories
	// that store nothing, so the load measures the HTTP path alone.
	targetNoop = "noop"
	// targetEcho starts a bare Fiber server that sends each JSON body back.
	targetEcho = "echo"
	// targetStore inserts purchases into a fresh embedded store with its bulk methods,
	// without HTTP.
	targetStore = "store"
)

// benchOptions are the flags of txsync bench that loadtest.Config does not hold.
type benchOptions struct {
	embedded bool
	// target is one of the target constants, or "" for the running txsync at --url.
	// --embedded sets it to targetTxsync.
	target string
	// settings are TXSYNC_* and OTEL_* variables for the txsync or the store the bench
	// starts, from --set.
	settings settingsFlag
	ramp     string
	jsonPath string
	plotPath string
	// preload is the number of purchases stored before the load, with --target txsync.
	preload int64
	// writers is the number of goroutines of --target store and of --preload.
	writers int
	// storeBatchSize is the number of purchases per bulk write of --target store.
	storeBatchSize int
}

// startsServer reports whether the bench starts the server it loads, so --url, --admin-url
// and --admin-token do not apply.
func (o benchOptions) startsServer() bool {
	return o.target != ""
}

// bench runs a load test with vegeta against a server on loopback, either a txsync that
// runs already or a server it starts in this process, and prints one row per step of
// load. With --target store it measures the store's bulk inserts instead.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, opts, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	if opts.target == targetStore {
		return benchStore(ctx, opts, cfg.StepDuration, stdout, stderr)
	}
	stopTarget, err := startTarget(ctx, &cfg, opts, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopTarget()) }()

	cfg.Log = stderr
	var progress *loadtest.ProgressLine
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		progress = loadtest.NewProgressLine(stderr)
		cfg.Progress = progress.Update
	}
	report, runErr := loadtest.Run(ctx, cfg)
	if progress != nil {
		progress.Finish()
	}
	if len(report.Steps) == 0 {
		return runErr
	}
	return errors.Join(runErr, writeBenchReport(report, opts, stdout))
}

// startTarget starts the server that opts.target names, preloads its store when
// requested, and points cfg at it. For the running txsync at --url it starts nothing.
// stop shuts the server down.
func startTarget(
	ctx context.Context,
	cfg *loadtest.Config,
	opts benchOptions,
	stderr io.Writer,
) (stop func() error, err error) {
	cfg.Target = opts.target
	switch opts.target {
	case targetEcho:
		cfg.StatusOnly = true
		cfg.Service, stop, err = startEcho(stderr)
		return stop, err
	case targetNoop:
		cfg.Service, _, stop, err = startEmbedded(ctx, stderr, opts.settings, withDiscardedPurchases())
		return stop, err
	case targetTxsync:
		var svc *Service
		cfg.Service, svc, stop, err = startEmbedded(ctx, stderr, opts.settings)
		if err != nil || opts.preload == 0 {
			return stop, err
		}
		if err := preload(ctx, svc.store, opts.preload, opts.writers, stderr); err != nil {
			return nil, errors.Join(err, stop())
		}
		return stop, nil
	}
	return func() error { return nil }, nil
}

// writeBenchReport prints report and writes its JSON and plot files, when requested.
func writeBenchReport(report loadtest.Report, opts benchOptions, stdout io.Writer) error {
	errs := []error{loadtest.WriteText(stdout, report)}
	if opts.jsonPath != "" {
		errs = append(errs, writeJSONFile(opts.jsonPath, report))
	}
	if opts.plotPath != "" {
		errs = append(errs, loadtest.SavePlot(opts.plotPath, report))
	}
	return errors.Join(errs...)
}

func writeJSONFile(path string, report loadtest.Report) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write the JSON report: %w", err)
	}
	if err := loadtest.WriteJSON(file, report); err != nil {
		file.Close() // the write error is the one to report
		return fmt.Errorf("write the JSON report %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("write the JSON report %s: %w", path, err)
	}
	return nil
}

// benchConfig returns the configuration of a txsync or a store that the bench starts:
// the data folder is a new temporary folder, then variables and settings apply, in this
// order. The process environment is not read, so a TXSYNC_MONGODB_URI of the shell is
// never the target. remove deletes the temporary folder.
func benchConfig(settings, variables map[string]string) (Config, func() error, error) {
	dataDir, err := os.MkdirTemp("", "txsync-bench-")
	if err != nil {
		return Config{}, nil, fmt.Errorf("create the data folder: %w", err)
	}
	remove := func() error { return os.RemoveAll(dataDir) }

	all := map[string]string{"TXSYNC_DATA_DIR": dataDir}
	maps.Copy(all, variables)
	for name, value := range settings {
		all[name] = value
		if strings.HasPrefix(name, "OTEL_") {
			// The OpenTelemetry exporters read their settings from the environment.
			if err := os.Setenv(name, value); err != nil {
				return Config{}, nil, errors.Join(err, remove())
			}
		}
	}
	cfg, err := LoadConfigFrom(all)
	if err != nil {
		return Config{}, nil, errors.Join(err, remove())
	}
	return cfg, remove, nil
}

// startEmbedded starts txsync, built with opts, in this process on an embedded store in
// a new temporary folder, with both APIs on loopback ports. stop shuts txsync down and
// removes the folder.
//
// Limit: txsync and vegeta share this process and its CPUs, so the latencies include
// the load generator's own work. For numbers of txsync alone, run txsync serve apart and
// point --url at it.
func startEmbedded(
	ctx context.Context,
	stderr io.Writer,
	settings map[string]string,
	opts ...Option,
) (service loadtest.Service, svc *Service, stop func() error, err error) {
	cfg, removeDataDir, err := benchConfig(settings, map[string]string{
		"TXSYNC_ADMIN_TOKEN": rand.Text(),
		// The bench raises its client's rate limit; a short refresh applies it at once.
		"TXSYNC_CLIENT_REFRESH": "1s",
	})
	if err != nil {
		return loadtest.Service{}, nil, nil, err
	}
	// Errors only: txsync logs every request at info, and the embedded store logs each
	// expected error response of FerretDB, such as a missing collection, as a warning.
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	fmt.Fprintf(stderr, "starting txsync with the embedded store in %s\n", cfg.DataDir)
	svc, err = New(ctx, cfg, logger, opts...)
	if err != nil {
		return loadtest.Service{}, nil, nil, errors.Join(err, removeDataDir())
	}

	partnerURL, adminURL, stopServing, err := serveOnLoopback(ctx, svc)
	stop = func() error {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		return errors.Join(stopServing(), svc.Close(closeCtx), removeDataDir())
	}
	if err != nil {
		return loadtest.Service{}, nil, nil, errors.Join(err, stop())
	}
	service = loadtest.Service{
		PartnerURL: partnerURL,
		AdminURL:   adminURL,
		AdminToken: svc.AdminToken(),
	}
	return service, svc, stop, nil
}

// serveOnLoopback serves svc on two free loopback ports until stop is called. Serving
// outlives ctx, so an interrupted load test still gets the responses in flight.
func serveOnLoopback(
	ctx context.Context,
	svc *Service,
) (partnerURL, adminURL string, stop func() error, err error) {
	stop = func() error { return nil }
	partnerLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", stop, fmt.Errorf("listen for the partner API: %w", err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		partnerLn.Close() // nothing was served on it
		return "", "", stop, fmt.Errorf("listen for the admin API: %w", err)
	}

	serveCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- svc.Serve(serveCtx, partnerLn, adminLn) }()
	stop = func() error {
		cancel()
		return <-served
	}
	return "http://" + partnerLn.Addr().String(), "http://" + adminLn.Addr().String(), stop, nil
}

// parseBenchFlags reads the flags of txsync bench and checks them all before anything is
// sent: every URL must be on loopback.
func parseBenchFlags(args []string, stderr io.Writer) (loadtest.Config, benchOptions, error) {
	var cfg loadtest.Config
	var opts benchOptions
	var rate int
	var duration time.Duration
	var endpoint string
	flags := flag.NewFlagSet("bench", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.BoolVar(&opts.embedded, "embedded", false,
		"start txsync in this process on an embedded store in a temporary folder; "+
			"the same as --target txsync")
	flags.StringVar(&opts.target, "target", "",
		"start what to load in this process instead of using --url: txsync (as --embedded), "+
			"noop (txsync whose purchase writes store nothing), echo (a bare Fiber JSON echo "+
			"server) or store (bulk inserts into the embedded store, without HTTP)")
	opts.settings = settingsFlag{}
	flags.Var(opts.settings, "set",
		"NAME=VALUE: a TXSYNC_* or OTEL_* setting of the txsync or store that --target "+
			"starts; repeatable, e.g. --set TXSYNC_GROUP_COMMIT=false. "+
			"TXSYNC_DATA_DIR=DIR keeps the store in DIR instead of a temporary folder")
	flags.Int64Var(&opts.preload, "preload", 0,
		fmt.Sprintf("purchases to store before the load, 0 to %d; with --target txsync",
			maxPreload))
	flags.IntVar(&opts.writers, "writers", defaultBenchWriters,
		fmt.Sprintf("goroutines that write with --target store and --preload, 1 to %d",
			maxBenchWriters))
	flags.StringVar(&cfg.Service.PartnerURL, "url", "http://127.0.0.1:8080",
		"base URL of the partner API; the host must be 127.0.0.0/8, ::1 or localhost")
	flags.StringVar(&cfg.Service.AdminURL, "admin-url", "http://127.0.0.1:8081",
		"base URL of the admin API; the host must be 127.0.0.0/8, ::1 or localhost")
	// Limit: the admin token is a command-line argument, so other users of the host can
	// read it in the process list while the bench runs.
	flags.StringVar(&cfg.Service.AdminToken, "admin-token", "",
		"bearer token of the admin API (required without --embedded or --target)")
	flags.IntVar(&rate, "rate", 50, "offered load in requests per second, for --duration")
	flags.DurationVar(&duration, "duration", 10*time.Second,
		"how long to send at --rate, or to insert with --target store")
	flags.StringVar(&opts.ramp, "ramp", "",
		"steps of load FROM:TO:STEP in requests per second, such as 100:2000:100")
	flags.DurationVar(&cfg.StepDuration, "step", 10*time.Second, "how long each --ramp step sends")
	flags.StringVar(&endpoint, "endpoint", "single",
		"single: one purchase per request; batch: --batch-size purchases per request")
	// The default depends on the target, so the flag's own default stays 0.
	flags.IntVar(&cfg.BatchSize, "batch-size", 0,
		fmt.Sprintf("purchases per request of --endpoint batch (default %d); with --target "+
			"store, purchases per bulk write, 1 to %d (default %d)", defaultHTTPBatchSize,
			maxStoreBatchSize, defaultStoreBatchSize))
	flags.Float64Var(&cfg.Mix.RetryShare, "retry-share", 0.05,
		"share of purchases that resend an earlier one unchanged, 0 to 1")
	flags.Float64Var(&cfg.Mix.BadShare, "bad-share", 0.01,
		"share of purchases with an invalid field (400), 0 to 1")
	flags.Float64Var(&cfg.Mix.ReturningShare, "returning-share", 0.5,
		"share of the other purchases made by a customer who bought before, 0 to 1")
	flags.Uint64Var(&cfg.Workers, "workers", 10, "vegeta's initial number of workers")
	flags.Uint64Var(&cfg.MaxWorkers, "max-workers", 0,
		"vegeta's maximum number of workers; 0 means no maximum")
	flags.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "longest wait for one response")
	flags.DurationVar(&cfg.RateLimitWait, "rate-limit-wait", time.Minute,
		"longest wait for txsync to apply the raised rate limit of the bench's client")
	flags.Uint64Var(&cfg.Seed, "seed", 0, "seed of the purchase mix; 0 picks one at random")
	flags.StringVar(&opts.jsonPath, "json", "", "also write the report as JSON to this file")
	flags.StringVar(&opts.plotPath, "plot", "",
		"also plot latency against offered load into this .svg or .png file")
	if err := flags.Parse(args); err != nil {
		return cfg, opts, err
	}

	set := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if opts.embedded && opts.target == "" {
		opts.target = targetTxsync
	}
	opts.storeBatchSize = cfg.BatchSize
	if !set["batch-size"] {
		cfg.BatchSize, opts.storeBatchSize = defaultHTTPBatchSize, defaultStoreBatchSize
	}
	cfg.Endpoint = loadtest.Endpoint(endpoint)
	if cfg.Seed == 0 {
		// Below 2^53, so that the seed in the JSON report reads back exactly anywhere.
		cfg.Seed = 1 + mathrand.Uint64N(1<<53-1)
	}
	errs := checkBenchFlags(flags, set, &cfg, opts, rate, duration)
	if err := errors.Join(errs...); err != nil {
		return cfg, opts, fmt.Errorf("%w\nRun txsync bench -h to list the flags.", err)
	}
	return cfg, opts, nil
}

// checkBenchFlags checks the flags against each other and sets cfg's rates and step
// duration from --rate and --duration or from --ramp and --step.
func checkBenchFlags(
	flags *flag.FlagSet,
	set map[string]bool,
	cfg *loadtest.Config,
	opts benchOptions,
	rate int,
	duration time.Duration,
) []error {
	var errs []error
	if flags.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", flags.Args()))
	}
	errs = append(errs, checkTargetFlags(set, opts)...)
	if !opts.startsServer() {
		errs = append(errs, checkTarget(cfg.Service))
	}
	if opts.target == targetStore {
		cfg.StepDuration = duration
		return append(errs, checkStoreFlags(set, opts, duration)...)
	}

	if opts.ramp == "" {
		if set["step"] {
			errs = append(errs, errors.New("--step needs --ramp; use --duration with --rate"))
		}
		cfg.Rates, cfg.StepDuration = []int{rate}, duration
	} else {
		if set["rate"] || set["duration"] {
			errs = append(errs, errors.New("use either --rate with --duration or --ramp with --step"))
		}
		rates, err := parseRamp(opts.ramp)
		if err != nil {
			return append(errs, err) // the checks below would only repeat that rates are missing
		}
		cfg.Rates = rates
	}
	if cfg.StepDuration > maxBenchStep {
		errs = append(errs, fmt.Errorf("--duration and --step must be at most %s, got %s",
			maxBenchStep, cfg.StepDuration))
	}
	if opts.plotPath != "" {
		errs = append(errs, loadtest.CheckPlotPath(opts.plotPath))
	}
	return append(errs, cfg.Validate())
}

// checkTargetFlags checks --target, --embedded, --set, --preload and --writers against
// each other and against the flags of a running txsync.
func checkTargetFlags(set map[string]bool, opts benchOptions) []error {
	var errs []error
	switch opts.target {
	case "", targetTxsync, targetNoop, targetEcho, targetStore:
	default:
		errs = append(errs, fmt.Errorf("--target must be %s, %s, %s or %s, got %q",
			targetTxsync, targetNoop, targetEcho, targetStore, opts.target))
	}
	if opts.embedded && opts.target != targetTxsync {
		errs = append(errs, fmt.Errorf("--embedded is --target txsync: drop one of "+
			"--embedded and --target %s", opts.target))
	}
	if opts.startsServer() && (set["url"] || set["admin-url"] || set["admin-token"]) {
		errs = append(errs, errors.New("--embedded and --target start their own server: "+
			"drop --url, --admin-url and --admin-token"))
	}
	if (opts.target == "" || opts.target == targetEcho) && len(opts.settings) > 0 {
		errs = append(errs, errors.New("--set configures the txsync or store that --target "+
			"starts; configure a running txsync through its own environment"))
	}
	if opts.preload < 0 || opts.preload > maxPreload {
		errs = append(errs, fmt.Errorf("--preload must be 0 to %d, got %d",
			maxPreload, opts.preload))
	}
	if opts.preload > 0 && opts.target != targetTxsync {
		errs = append(errs, errors.New("--preload stores purchases in the txsync the bench "+
			"starts: use it with --target txsync or --embedded"))
	}
	if opts.writers < 1 || opts.writers > maxBenchWriters {
		errs = append(errs, fmt.Errorf("--writers must be 1 to %d, got %d",
			maxBenchWriters, opts.writers))
	}
	if set["writers"] && opts.target != targetStore && opts.preload == 0 {
		errs = append(errs, errors.New("--writers applies to --target store and --preload"))
	}
	return errs
}

// storeFlags are the flags that apply to --target store.
var storeFlags = map[string]bool{
	"target": true, "set": true, "duration": true, "batch-size": true, "writers": true,
	"json": true,
}

// checkStoreFlags checks the flags of --target store.
func checkStoreFlags(set map[string]bool, opts benchOptions, duration time.Duration) []error {
	var errs []error
	var unused []string
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if !storeFlags[name] {
			unused = append(unused, "--"+name)
		}
	}
	if len(unused) > 0 {
		errs = append(errs, fmt.Errorf("--target store uses only --duration, --batch-size, "+
			"--writers, --set and --json: drop %s", strings.Join(unused, ", ")))
	}
	if _, ok := opts.settings["TXSYNC_MONGODB_URI"]; ok {
		errs = append(errs, errors.New("--target store measures the embedded store: "+
			"drop --set TXSYNC_MONGODB_URI"))
	}
	if duration <= 0 || duration > maxBenchStep {
		errs = append(errs, fmt.Errorf("--duration must be above 0 and at most %s, got %s",
			maxBenchStep, duration))
	}
	if opts.storeBatchSize < 1 || opts.storeBatchSize > maxStoreBatchSize {
		errs = append(errs, fmt.Errorf("--batch-size of --target store must be 1 to %d, got %d",
			maxStoreBatchSize, opts.storeBatchSize))
	}
	return errs
}

// checkTarget checks --url, --admin-url and --admin-token. It sends nothing.
func checkTarget(service loadtest.Service) error {
	var errs []error
	if err := loadtest.CheckLoopbackURL(service.PartnerURL); err != nil {
		errs = append(errs, fmt.Errorf("--url: %w", err))
	}
	if err := loadtest.CheckLoopbackURL(service.AdminURL); err != nil {
		errs = append(errs, fmt.Errorf("--admin-url: %w", err))
	}
	if service.AdminToken == "" {
		errs = append(errs, errors.New("--admin-token is required without --embedded or --target"))
	}
	return errors.Join(errs...)
}

// parseRamp reads FROM:TO:STEP into the rates FROM, FROM+STEP, ... up to TO.
func parseRamp(ramp string) ([]int, error) {
	parts := strings.Split(ramp, ":")
	var numbers []int
	for _, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			break
		}
		numbers = append(numbers, n)
	}
	if len(parts) != 3 || len(numbers) != 3 || numbers[0] > numbers[1] {
		return nil, fmt.Errorf("--ramp must be FROM:TO:STEP, positive integers with FROM <= TO "+
			"such as 100:2000:100, got %q", ramp)
	}
	from, to, step := numbers[0], numbers[1], numbers[2]
	if count := (to-from)/step + 1; count > maxBenchRampSteps {
		return nil, fmt.Errorf("--ramp %s has %d steps, at most %d are allowed", ramp, count,
			maxBenchRampSteps)
	}
	var rates []int
	for r := from; r <= to; r += step {
		rates = append(rates, r)
	}
	return rates, nil
}

// settingsFlag collects repeated --set NAME=VALUE flags.
type settingsFlag map[string]string

func (s settingsFlag) String() string {
	return fmt.Sprint(map[string]string(s))
}

func (s settingsFlag) Set(value string) error {
	name, setting, ok := strings.Cut(value, "=")
	if !ok || !(strings.HasPrefix(name, "TXSYNC_") || strings.HasPrefix(name, "OTEL_")) {
		return fmt.Errorf("%q is not NAME=VALUE with a TXSYNC_ or OTEL_ name", value)
	}
	s[name] = setting
	return nil
}
