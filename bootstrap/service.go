package bootstrap

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/txsync/txsync/adapters/auth"
	"github.com/txsync/txsync/adapters/httpapi"
	"github.com/txsync/txsync/adapters/ratelimit"
	"github.com/txsync/txsync/adapters/telemetry"
	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/partner"
)

// Token requests are limited per remote address and per client id, so client secrets
// cannot be guessed at speed. A partner needs one token every two hours.
var (
	tokenRateByAddress = partner.RateLimit{PerSecond: 5, Burst: 20}
	tokenRateByClient  = partner.RateLimit{PerSecond: 1, Burst: 10}
)

// rateLimit adapts a limiter to the HTTP API's rate limit function.
func rateLimit(l *ratelimit.Limiter) httpapi.RateLimit {
	return func(key string, cost int) httpapi.RateDecision {
		return httpapi.RateDecision(l.Allow(key, cost))
	}
}

// adminTokenFile is the file in the data folder that keeps a generated admin token.
const adminTokenFile = "admin-token"

// systemClock reads the system time in UTC, cut to the millisecond the store keeps.
type systemClock struct{}

func (systemClock) Now() time.Time {
	return time.Now().UTC().Truncate(time.Millisecond)
}

// Option changes how New builds txsync.
type Option func(*options)

type options struct {
	spanProcessors []sdktrace.SpanProcessor
	// discardPurchases wires RecordTransaction to repositories that store nothing.
	discardPurchases bool
}

// WithSpanProcessor sends every span to p as well, whatever OTEL_TRACES_EXPORTER sets.
// Tests use it to record spans in memory.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return func(o *options) { o.spanProcessors = append(o.spanProcessors, p) }
}

// withDiscardedPurchases wires RecordTransaction to repositories that accept every write
// and find nothing, and to an id counter in memory. Clients, tokens and reads still use
// the store. txsync bench --target noop uses it to measure the HTTP path alone.
func withDiscardedPurchases() Option {
	return func(o *options) { o.discardPurchases = true }
}

// Service is a wired txsync: the store, the use cases and both HTTP APIs.
type Service struct {
	cfg        Config
	logger     *slog.Logger
	telemetry  *telemetry.Telemetry
	store      *openedStore
	policies   *auth.Policies
	access     *application.Access
	partnerAPI *fiber.App
	adminAPI   *fiber.App
	adminToken string
}

// New builds txsync from cfg: it opens the store (starting the embedded one when no
// MongoDB URI is set), loads the token signing key and the disabled clients, and builds
// both APIs. Tests build txsync through New as the binary does. Call Close when done.
func New(ctx context.Context, cfg Config, logger *slog.Logger, opts ...Option) (*Service, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}

	// Telemetry.
	tel, err := telemetry.Setup(ctx, telemetry.Config{
		ExportTraces:   cfg.ExportTraces(),
		PushMetrics:    cfg.PushMetrics(),
		SpanProcessors: o.spanProcessors,
	})
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, logger: logger, telemetry: tel}

	// Store.
	embeddedAddr := cfg.StoreAddr
	if embeddedAddr == "" {
		embeddedAddr = "127.0.0.1:0"
	}
	s.store, err = openStore(ctx, cfg, logger, embeddedAddr, false, tel)
	if err != nil {
		return nil, errors.Join(err, tel.Shutdown(ctx))
	}
	store := s.store

	// Access.
	err = store.advertise(cfg)
	if err == nil {
		err = s.buildAccess(ctx, tel.Tracer())
	}
	if err == nil {
		s.adminToken, err = adminToken(cfg)
	}
	if err != nil {
		return nil, errors.Join(err, s.Close(ctx))
	}

	// Use cases and APIs.
	clock := systemClock{}
	recorder := application.NewRecordTransaction(
		store.Transactions(),
		store.Customers(),
		store.IDBlocks(),
		clock,
	).WithBulk(store.Transactions(), store.Customers())
	if o.discardPurchases {
		recorder = newDiscardingRecorder(clock)
	}
	tracing := []fiber.Handler{tel.HTTPMiddleware()}
	s.partnerAPI = httpapi.NewPartnerAPI(httpapi.Config{
		Recorder:     tel.TraceRecorder(recorder),
		Reader:       application.NewLookup(store.Transactions(), store.Customers()),
		Access:       tel.TraceTokenIssuer(s.access),
		Store:        store,
		Clock:        clock,
		Logger:       logger,
		Location:     cfg.Location(),
		StoreTimeout: cfg.StoreTimeout,
		ReadTimeout:  cfg.ReadTimeout,
		Middleware:   tracing,

		ClientLimit:         rateLimit(ratelimit.New(cfg.clientRateLimit(), s.policies.RateLimit)),
		TokenLimitByAddress: rateLimit(ratelimit.New(tokenRateByAddress, nil)),
		TokenLimitByClient:  rateLimit(ratelimit.New(tokenRateByClient, nil)),
		MaxInFlight:         cfg.MaxInFlight,
	})
	s.adminAPI = httpapi.NewAdminAPI(httpapi.AdminConfig{
		Clients:     s.access,
		Token:       s.adminToken,
		Logger:      logger,
		ReadTimeout: cfg.ReadTimeout,
		Middleware:  tracing,
		Metrics:     tel.MetricsHandler(),
	})
	return s, nil
}

// buildAccess wires token signing, secret hashing and the client policies to the store.
// tracer traces the reloads of client policies.
func (s *Service) buildAccess(ctx context.Context, tracer trace.Tracer) error {
	key, err := s.store.TokenSigningKey(ctx)
	if err != nil {
		return err
	}
	secrets, err := auth.NewSecrets(s.cfg.BcryptCost)
	if err != nil {
		return err
	}
	s.policies = auth.NewPolicies(s.store.Clients(), s.cfg.ClientRefresh, s.logger, tracer)
	if err := s.policies.Reload(ctx); err != nil {
		return fmt.Errorf("load client policies: %w", err)
	}
	s.access = application.NewAccess(s.store.Clients(), secrets, auth.NewTokens(key), s.policies, systemClock{})
	return nil
}

// PartnerAPI returns the Fiber app of the partner API.
func (s *Service) PartnerAPI() *fiber.App { return s.partnerAPI }

// AdminAPI returns the Fiber app of the admin API.
func (s *Service) AdminAPI() *fiber.App { return s.adminAPI }

// Access returns the client and token use cases.
func (s *Service) Access() *application.Access { return s.access }

// AdminToken returns the bearer token of the admin API.
func (s *Service) AdminToken() string { return s.adminToken }

// Run listens on the configured addresses and serves both APIs until ctx ends, then
// stops accepting connections, lets requests in flight finish within the shutdown timeout
// and returns. It does not close the store.
func (s *Service) Run(ctx context.Context) error {
	partnerLn, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on TXSYNC_HTTP_ADDR: %w", err)
	}
	adminLn, err := net.Listen("tcp", s.cfg.AdminAddr)
	if err != nil {
		partnerLn.Close()
		return fmt.Errorf("listen on TXSYNC_ADMIN_ADDR: %w", err)
	}
	return s.Serve(ctx, partnerLn, adminLn)
}

// Serve is Run on listeners the caller opened; it closes them when it returns.
func (s *Service) Serve(ctx context.Context, partnerLn, adminLn net.Listener) error {
	reloadCtx, stopReload := context.WithCancel(ctx)
	defer stopReload()
	go s.policies.Run(reloadCtx)

	served := make(chan error, 2)
	go func() { served <- s.partnerAPI.Listener(partnerLn) }()
	go func() { served <- s.adminAPI.Listener(adminLn) }()
	s.logger.Info("txsync serving",
		"partner_api", partnerLn.Addr().String(), "admin_api", adminLn.Addr().String())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		serveErr = fmt.Errorf("serve: %w", serveErr)
	}

	s.logger.Info("txsync stopping", "shutdown_timeout", s.cfg.ShutdownTimeout.String())
	err := errors.Join(
		serveErr,
		s.partnerAPI.ShutdownWithTimeout(s.cfg.ShutdownTimeout),
		s.adminAPI.ShutdownWithTimeout(s.cfg.ShutdownTimeout),
	)
	s.logger.Info("txsync stopped accepting requests")
	return err
}

// Close disconnects from the store, stops the embedded one and flushes telemetry.
func (s *Service) Close(ctx context.Context) error {
	var err error
	if s.store != nil {
		err = s.store.Close(ctx)
	}
	if s.telemetry != nil {
		err = errors.Join(err, s.telemetry.Shutdown(ctx))
	}
	return err
}

// adminToken returns the configured admin token, or the one kept in the data folder,
// generating it on first use.
func adminToken(cfg Config) (string, error) {
	if cfg.AdminToken != "" {
		return cfg.AdminToken, nil
	}
	path := filepath.Join(cfg.DataDir, adminTokenFile)
	token, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(token))) > 0 {
		return strings.TrimSpace(string(token)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read admin token: %w", err)
	}

	generated := rand.Text() + rand.Text()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data folder: %w", err)
	}
	if err := os.WriteFile(path, []byte(generated+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write admin token: %w", err)
	}
	return generated, nil
}
