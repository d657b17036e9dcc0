package httpapi

import (
	"fmt"
	"log/slog"
	"mime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"

	"github.com/txsync/txsync/domain/partner"
)

const (
	principalKey    = "txsync.principal"
	maxRequestIDLen = 128
)

var errMissingToken = fmt.Errorf("%w: no bearer token", partner.ErrInvalidToken)

// authenticate checks the bearer token of the request and stores its principal for the
// handlers. The scheme is matched case-insensitively, as RFC 7235 requires.
func (h *handlers) authenticate(c *fiber.Ctx) error {
	scheme, token, found := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "bearer") || token == "" {
		return errMissingToken
	}
	p, err := h.cfg.Access.Authenticate(token)
	if err != nil {
		return err
	}
	c.Locals(principalKey, p)
	return c.Next()
}

func principal(c *fiber.Ctx) partner.Principal {
	p, _ := c.Locals(principalKey).(partner.Principal)
	return p
}

// requireJSON returns a 415 error unless the request declares a JSON body in UTF-8.
func requireJSON(c *fiber.Ctx) error {
	mediaType, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mediaType != fiber.MIMEApplicationJSON {
		return fiber.NewError(fiber.StatusUnsupportedMediaType,
			"the request body must be declared as Content-Type: application/json")
	}
	if charset, ok := params["charset"]; ok && !strings.EqualFold(charset, "utf-8") {
		return fiber.NewError(fiber.StatusUnsupportedMediaType,
			"the request body must be encoded in UTF-8, not "+charset)
	}
	return nil
}

// dropInvalidRequestID removes an X-Request-Id that is too long or not printable ASCII, so
// a fresh one is generated and no caller can inject text into logs.
func dropInvalidRequestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	valid := len(id) <= maxRequestIDLen
	for i := 0; valid && i < len(id); i++ {
		valid = id[i] > ' ' && id[i] < 0x7f
	}
	if !valid {
		c.Request().Header.Del(fiber.HeaderXRequestID)
	}
	return c.Next()
}

// requestID returns the id of the request, creating one for responses Fiber writes before
// the middleware runs, such as a 413 for an oversized body.
func requestID(c *fiber.Ctx) string {
	id := c.GetRespHeader(fiber.HeaderXRequestID)
	if id == "" {
		id = uuid.NewString()
		c.Set(fiber.HeaderXRequestID, id)
	}
	return id
}

// accessLog writes one line per request once its response is written.
func accessLog(logger *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			trace.SpanFromContext(c.UserContext()).RecordError(err)
			// The error handler writes the response now, so the line shows the final status.
			if handlerErr := c.App().ErrorHandler(c, err); handlerErr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}

		attrs := []any{
			"request_id", requestID(c),
			"method", c.Method(),
			"route", c.Route().Path,
			"status", c.Response().StatusCode(),
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
		}
		if p := principal(c); p.ClientID != "" {
			attrs = append(attrs, "client_id", p.ClientID, "merchant_id", p.MerchantID)
		}
		if span := trace.SpanContextFromContext(c.UserContext()); span.IsValid() {
			attrs = append(attrs, "trace_id", span.TraceID().String(), "span_id", span.SpanID().String())
		}
		logger.Info("request", attrs...)
		return nil
	}
}

// logPanic logs a recovered panic with its stack; the client gets a 500 with the request id.
func logPanic(logger *slog.Logger) func(*fiber.Ctx, any) {
	return func(c *fiber.Ctx, recovered any) {
		logger.Error("panic in request handler",
			"request_id", requestID(c),
			"route", c.Route().Path,
			"panic", fmt.Sprint(recovered),
			"stack", string(debug.Stack()))
	}
}

// requestAttrs returns the log attributes of a failed request.
func requestAttrs(c *fiber.Ctx, err error) []any {
	attrs := []any{"request_id", requestID(c), "route", c.Route().Path, "error", err}
	if p := principal(c); p.ClientID != "" {
		attrs = append(attrs, "client_id", p.ClientID)
	}
	return attrs
}
