package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/pprof"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/partner"
)

// ClientManager creates, lists and disables partner clients.
type ClientManager interface {
	CreateClient(ctx context.Context, merchantID, name string) (partner.Client, string, error)
	ListClients(ctx context.Context) ([]partner.Client, error)
	DisableClient(ctx context.Context, id string) error
	SetRateLimit(ctx context.Context, id string, limit partner.RateLimit) error
}

// AdminConfig holds what the admin API needs.
type AdminConfig struct {
	Clients ClientManager
	// Token is the bearer token every admin request must carry.
	Token       string
	Logger      *slog.Logger
	ReadTimeout time.Duration
	Middleware  []fiber.Handler
	// Metrics, when set, is served at GET /metrics without the admin token, for Prometheus.
	Metrics http.Handler
}

// ClientView is a partner client as the admin API and the CLI show it. The secret is shown
// once, when the client is created.
type ClientView struct {
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret,omitempty"`
	Merchant     string    `json:"merchant"`
	Name         string    `json:"name"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	// RateLimit is the client's own rate limit; absent when the default applies.
	RateLimit *RateLimitView `json:"rate_limit,omitempty"`
}

// RateLimitView is a client's own token bucket: units per second and its size.
type RateLimitView struct {
	PerSecond float64 `json:"per_second"`
	Burst     int     `json:"burst"`
}

// NewClientView returns the view of c, with secret when it is not empty.
func NewClientView(c partner.Client, secret string) ClientView {
	return ClientView{
		ClientID:     c.ID,
		ClientSecret: secret,
		Merchant:     c.MerchantID,
		Name:         c.Name,
		Disabled:     c.Disabled,
		CreatedAt:    c.CreatedAt,
		RateLimit:    newRateLimitView(c.RateLimit),
	}
}

func newRateLimitView(limit partner.RateLimit) *RateLimitView {
	if limit.IsZero() {
		return nil
	}
	return &RateLimitView{PerSecond: limit.PerSecond, Burst: limit.Burst}
}

// NewAdminAPI returns the Fiber app of the admin API. Serve it on a listener only operators
// reach; by default that is loopback.
func NewAdminAPI(cfg AdminConfig) *fiber.App {
	app := newApp(cfg.Logger, cfg.ReadTimeout, maxBodyBytes, cfg.Middleware)
	a := &admin{cfg: cfg}
	if cfg.Metrics != nil {
		app.Get("/metrics", adaptor.HTTPHandler(cfg.Metrics))
	}

	// Profiles of the running process, for finding where the time goes:
	// go tool pprof -H "Authorization: Bearer $token" http://127.0.0.1:8081/admin/debug/pprof/profile
	app.Use("/admin/debug/pprof", a.authenticate)
	app.Use(pprof.New(pprof.Config{Prefix: "/admin"}))

	api := app.Group("/admin", a.authenticate)
	api.Post("/clients", a.createClient)
	api.Get("/clients", a.listClients)
	api.Post("/clients/:id/disable", a.disableClient)
	api.Put("/clients/:id/rate-limit", a.setRateLimit)
	return app
}

type admin struct {
	cfg AdminConfig
}

func (a *admin) authenticate(c *fiber.Ctx) error {
	scheme, token, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !strings.EqualFold(scheme, "bearer") ||
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(a.cfg.Token)) != 1 {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="txsync-admin"`)
		return sendError(c, fiber.StatusUnauthorized, "the admin token is missing or wrong", nil)
	}
	return c.Next()
}

func (a *admin) createClient(c *fiber.Ctx) error {
	var req struct {
		Merchant string `json:"merchant"`
		Name     string `json:"name"`
	}
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return sendError(c, fiber.StatusBadRequest,
			`the body must be a JSON object {"merchant": "...", "name": "..."}`, nil)
	}
	client, secret, err := a.cfg.Clients.CreateClient(c.UserContext(), req.Merchant, req.Name)
	if errors.Is(err, partner.ErrInvalidMerchant) || errors.Is(err, partner.ErrInvalidName) {
		return sendError(c, fiber.StatusBadRequest, err.Error(), nil)
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewClientView(client, secret))
}

func (a *admin) listClients(c *fiber.Ctx) error {
	clients, err := a.cfg.Clients.ListClients(c.UserContext())
	if err != nil {
		return err
	}
	views := make([]ClientView, len(clients))
	for i, client := range clients {
		views[i] = NewClientView(client, "")
	}
	return c.JSON(fiber.Map{"clients": views})
}

func (a *admin) disableClient(c *fiber.Ctx) error {
	id := c.Params("id")
	err := a.cfg.Clients.DisableClient(c.UserContext(), id)
	if errors.Is(err, application.ErrNotFound) {
		return sendError(c, fiber.StatusNotFound, "no client has the id "+id, nil)
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"client_id": id, "disabled": true})
}

// setRateLimit gives a client its own rate limit; {"per_second": 0, "burst": 0} gives the
// default back.
func (a *admin) setRateLimit(c *fiber.Ctx) error {
	var req RateLimitView
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return sendError(c, fiber.StatusBadRequest,
			`the body must be a JSON object {"per_second": 50, "burst": 100}`, nil)
	}
	id := c.Params("id")
	limit := partner.RateLimit{PerSecond: req.PerSecond, Burst: req.Burst}
	err := a.cfg.Clients.SetRateLimit(c.UserContext(), id, limit)
	switch {
	case errors.Is(err, partner.ErrInvalidRateLimit):
		return sendError(c, fiber.StatusBadRequest, err.Error(), nil)
	case errors.Is(err, application.ErrNotFound):
		return sendError(c, fiber.StatusNotFound, "no client has the id "+id, nil)
	case err != nil:
		return err
	}
	return c.JSON(fiber.Map{"client_id": id, "rate_limit": newRateLimitView(limit)})
}
