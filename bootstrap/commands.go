package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/txsync/txsync/adapters/httpapi"
	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/partner"
)

const usage = `txsync records partners' purchases exactly once.

Usage:
  txsync serve                              run the partner and admin APIs
  txsync store                              run only the embedded store (for containers)
  txsync clients create --merchant M --name N
                                            create a partner client; prints its secret once
  txsync clients list                       list partner clients
  txsync clients disable ID                 disable a partner client
  txsync clients limit ID --per-second R --burst B
                                            give a client its own rate limit (0 0: default)
  txsync replay --file F.jsonl --url U --client-id ID --client-secret S
                                            post one purchase per line and summarize
  txsync bench --embedded | --admin-token T [--rate N --duration D | --ramp A:B:S --step D]
                                            load-test a txsync on loopback with vegeta
  txsync healthcheck                        exit 0 when the local partner API is alive

Configuration comes from TXSYNC_* environment variables; see the README.
`

// Main runs the txsync command in args (without the program name) and returns its exit
// code. SIGINT and SIGTERM stop it gracefully.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = withConfig(stdout, func(cfg Config, logger *slog.Logger) error { return serve(ctx, cfg, logger) })
	case "store":
		err = withConfig(stdout, func(cfg Config, logger *slog.Logger) error { return runStore(ctx, cfg, logger) })
	case "clients":
		err = withConfig(stderr, func(cfg Config, logger *slog.Logger) error {
			return clients(ctx, cfg, logger, args[1:], stdout)
		})
	case "replay":
		err = replay(ctx, args[1:], stdout, stderr)
	case "bench":
		err = bench(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		err = withConfig(stderr, func(cfg Config, _ *slog.Logger) error { return healthcheck(ctx, cfg) })
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "txsync: unknown command %q\n\n%s", args[0], usage)
		return 2
	}

	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "txsync %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// withConfig loads the configuration and a JSON logger writing to logOut, then runs run.
func withConfig(logOut io.Writer, run func(Config, *slog.Logger) error) error {
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: cfg.LogLevel}))
	return run(cfg, logger)
}

func serve(ctx context.Context, cfg Config, logger *slog.Logger) error {
	logger.Info("txsync starting", "config", cfg)
	svc, err := New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	runErr := svc.Run(ctx)

	closeCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = errors.Join(runErr, svc.Close(closeCtx))
	logger.Info("txsync stopped")
	return err
}

// runStore runs the embedded store alone until ctx ends.
func runStore(ctx context.Context, cfg Config, logger *slog.Logger) error {
	addr := cfg.StoreAddr
	if addr == "" {
		addr = "127.0.0.1:27017"
	}
	logger.Info("embedded store starting", "config", cfg)
	store, err := openStore(ctx, cfg, logger, addr, false, nil)
	if err != nil {
		return err
	}
	logger.Info("embedded store ready", "addr", addr)
	<-ctx.Done()

	closeCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = store.Close(closeCtx)
	logger.Info("embedded store stopped")
	return err
}

// clients runs the client management commands against the store directly.
func clients(ctx context.Context, cfg Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing subcommand: create, list, disable or limit")
	}
	store, err := openStore(ctx, cfg, logger, "127.0.0.1:0", true, nil)
	if err != nil {
		return err
	}
	defer store.Close(context.WithoutCancel(ctx))

	svc := &Service{cfg: cfg, logger: logger, store: store}
	if err := svc.buildAccess(ctx, noop.NewTracerProvider().Tracer("")); err != nil {
		return err
	}
	out := json.NewEncoder(stdout)
	out.SetIndent("", "  ")

	switch args[0] {
	case "create":
		flags := flag.NewFlagSet("clients create", flag.ContinueOnError)
		merchant := flags.String("merchant", "", "merchant the client records purchases for (required)")
		name := flags.String("name", "", "name of the partner system, for operators (required)")
		if err := flags.Parse(args[1:]); err != nil {
			return err
		}
		client, secret, err := svc.access.CreateClient(ctx, *merchant, *name)
		if err != nil {
			return err
		}
		return out.Encode(httpapi.NewClientView(client, secret))

	case "list":
		list, err := svc.access.ListClients(ctx)
		if err != nil {
			return err
		}
		views := make([]httpapi.ClientView, len(list))
		for i, c := range list {
			views[i] = httpapi.NewClientView(c, "")
		}
		return out.Encode(views)

	case "disable":
		if len(args) != 2 {
			return errors.New("usage: txsync clients disable ID")
		}
		err := svc.access.DisableClient(ctx, args[1])
		if errors.Is(err, application.ErrNotFound) {
			return fmt.Errorf("no client has the id %s", args[1])
		}
		if err != nil {
			return err
		}
		return out.Encode(map[string]any{"client_id": args[1], "disabled": true})

	case "limit":
		return setClientRateLimit(ctx, svc.access, args[1:], out)
	}
	return fmt.Errorf("unknown subcommand %q: use create, list, disable or limit", args[0])
}

// healthcheck requests /healthz of the partner API on this host, for container health
// checks in images without a shell.
func healthcheck(ctx context.Context, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+cfg.HTTPAddr+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /healthz returned %s", resp.Status)
	}
	return nil
}

// setClientRateLimit runs `txsync clients limit ID --per-second R --burst B`.
func setClientRateLimit(ctx context.Context, access *application.Access, args []string, out *json.Encoder) error {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return errors.New("usage: txsync clients limit ID --per-second R --burst B")
	}
	id := args[0]
	flags := flag.NewFlagSet("clients limit", flag.ContinueOnError)
	perSecond := flags.Float64("per-second", 0, "requests per second; 0 with --burst 0 restores the default")
	burst := flags.Int("burst", 0, "requests the client may send at once")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	limit := partner.RateLimit{PerSecond: *perSecond, Burst: *burst}
	err := access.SetRateLimit(ctx, id, limit)
	if errors.Is(err, application.ErrNotFound) {
		return fmt.Errorf("no client has the id %s", id)
	}
	if err != nil {
		return err
	}
	view := httpapi.RateLimitView{PerSecond: limit.PerSecond, Burst: limit.Burst}
	return out.Encode(map[string]any{"client_id": id, "rate_limit": view})
}
