// Package httpapi serves txsync's partner API and its admin API over HTTP with Fiber.
package httpapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/google/uuid"
	"golang.org/x/sync/semaphore"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// maxBodyBytes is the largest body of a single purchase request. Fiber reads bodies up to
// maxBatchBodyBytes, the batch endpoint's limit.
const maxBodyBytes = 64 << 10

// Recorder records purchases, or previews what recording one would do.
type Recorder interface {
	Record(ctx context.Context, by partner.Principal, details purchase.Details) (application.Recorded, error)
	Preview(ctx context.Context, by partner.Principal, details purchase.Details) (application.Preview, error)
	RecordMany(ctx context.Context, by partner.Principal, details []purchase.Details) []application.ItemResult
}

// Authenticator checks access tokens and issues them.
type Authenticator interface {
	Authenticate(token string) (partner.Principal, error)
	IssueToken(ctx context.Context, clientID, secret string) (application.Token, error)
}

// Pinger checks that the store responds.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config holds what the partner API needs.
type Config struct {
	Recorder Recorder
	Reader   Reader
	Access   Authenticator
	Store    Pinger
	Clock    application.Clock
	Logger   *slog.Logger
	// Location is the merchants' time zone, in which purchase times without an offset are read.
	Location *time.Location
	// StoreTimeout bounds the store work of one request; past it the request gets a 503.
	StoreTimeout time.Duration
	// ReadTimeout bounds reading one request, headers and body, so slow clients cannot hold
	// connections open.
	ReadTimeout time.Duration
	// Middleware runs on every request after the request id is set and before the access
	// log, such as tracing.
	Middleware []fiber.Handler
	// ClientLimit, when set, rate-limits each client across all its requests, keyed by
	// client id.
	ClientLimit RateLimit
	// TokenLimitByAddress and TokenLimitByClient, when set, rate-limit token requests per
	// remote address and per client id, so secrets cannot be guessed at speed.
	TokenLimitByAddress RateLimit
	TokenLimitByClient  RateLimit
	// MaxInFlight, when above 0, bounds the purchases being written, a batch counting each
	// of its purchases. Writes past it get a 503 at once, with Retry-After. Below
	// MaxBatchItems, the largest batches are never admitted.
	MaxInFlight int
}

// NewPartnerAPI returns the Fiber app of the partner API.
func NewPartnerAPI(cfg Config) *fiber.App {
	app := newApp(cfg.Logger, cfg.ReadTimeout, maxBatchBodyBytes, cfg.Middleware)
	h := &handlers{cfg: cfg}
	if cfg.MaxInFlight > 0 {
		h.inFlight = semaphore.NewWeighted(int64(cfg.MaxInFlight))
	}

	app.Post("/tp/services/transaction", h.admitWrite, h.authenticate, h.limitClient, h.recordTransaction)
	app.Get("/tp/services/transaction", h.authenticate, h.limitClient, h.readTransaction)
	app.Post("/tp/services/transactions", h.admitWrite, h.authenticate, h.recordBatch) // charges per item
	app.Get("/tp/services/customer", h.authenticate, h.limitClient, h.readCustomer)
	app.Get("/tp/services/customer/transactions", h.authenticate, h.limitClient, h.readCustomerTransactions)
	app.Post("/tp/oauth/token", h.issueToken)
	app.Get("/tp/openapi.json", serveOpenAPI)
	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", h.ready)
	return app
}

// newApp returns a Fiber app with the settings and middleware both APIs share: the
// envelope error handler, request ids, the given middleware, one log line per request and
// panic recovery.
func newApp(
	logger *slog.Logger,
	readTimeout time.Duration,
	bodyLimit int,
	middleware []fiber.Handler,
) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "txsync",
		BodyLimit:             bodyLimit,
		ReadTimeout:           readTimeout,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(logger),
	})
	app.Use(dropInvalidRequestID)
	app.Use(requestid.New(requestid.Config{Generator: uuid.NewString}))
	for _, m := range middleware {
		app.Use(m)
	}
	app.Use(accessLog(logger))
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: logPanic(logger)}))
	return app
}

type handlers struct {
	cfg Config
	// inFlight counts the purchases being written; nil when they are not bounded.
	inFlight *semaphore.Weighted
}

// purchaseResult is the result object of a recorded purchase. Partners know only
// transaction_id; the other members are additions they may ignore.
type purchaseResult struct {
	TransactionID int64  `json:"transaction_id"`
	CustomerID    string `json:"customer_id"`
	Replayed      bool   `json:"replayed"`
}

func (h *handlers) recordTransaction(c *fiber.Ctx) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	if len(c.Body()) > maxBodyBytes {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge,
			"the request body is larger than 64 KiB; send many purchases to /tp/services/transactions")
	}
	now := h.cfg.Clock.Now()
	details, err := decodePurchase(c.Body(), h.cfg.Location, now)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(c.UserContext(), h.cfg.StoreTimeout)
	defer cancel()
	if c.QueryBool("dry_run") {
		return h.previewTransaction(ctx, c, details, now)
	}
	recorded, err := h.cfg.Recorder.Record(ctx, principal(c), details)
	if err != nil {
		return err
	}

	if recorded.Replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	return sendSuccess(c, purchaseResult{
		TransactionID: recorded.PlatformID,
		CustomerID:    recorded.CustomerID.String(),
		Replayed:      recorded.Replayed,
	})
}

func (h *handlers) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), h.cfg.StoreTimeout)
	defer cancel()
	if err := h.cfg.Store.Ping(ctx); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "ready"})
}
