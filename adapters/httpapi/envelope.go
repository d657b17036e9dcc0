package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// status is the envelope's status object. Code is the HTTP status as a string, as the
// original partner API shows it.
type status struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// envelope is the body of every partner API response.
type envelope struct {
	Status    status                `json:"status"`
	Result    any                   `json:"result,omitempty"`
	Errors    []purchase.FieldError `json:"errors,omitempty"`
	RequestID string                `json:"request_id,omitempty"`
}

func sendSuccess(c *fiber.Ctx, result any) error {
	return c.Status(fiber.StatusOK).JSON(envelope{
		Status: status{Code: "200", Message: "success"},
		Result: result,
	})
}

// sendError writes the envelope of a failed request. code is the HTTP status and fields
// the field errors, if any.
func sendError(c *fiber.Ctx, code int, message string, fields []purchase.FieldError) error {
	return c.Status(code).JSON(envelope{
		Status:    status{Code: strconv.Itoa(code), Message: message},
		Errors:    fields,
		RequestID: requestID(c),
	})
}

// retryAfterSeconds is the Retry-After of a 503: how long partners wait before retrying.
const retryAfterSeconds = "1"

// failure is the partner API's report of a use case error: its HTTP status, the
// envelope's message and the field errors.
type failure struct {
	status  int
	message string
	fields  []purchase.FieldError
}

// classify maps an error of parsing or of a use case to its failure. It returns false for
// errors that are not the caller's to fix nor a store outage: defects, reported as 500.
func classify(err error) (failure, bool) {
	var (
		invalid  *purchase.ValidationError
		conflict *application.ConflictError
		missing  *notFoundError
	)
	switch {
	case errors.As(err, &missing):
		return failure{fiber.StatusNotFound, missing.message, nil}, true

	case errors.As(err, &invalid):
		return failure{fiber.StatusBadRequest, "invalid request", invalid.Fields}, true

	case errors.As(err, &conflict):
		fields := make([]purchase.FieldError, len(conflict.Fields))
		for i, f := range conflict.Fields {
			fields[i] = purchase.FieldError{Field: f, Reason: "differs from the recorded purchase"}
		}
		return failure{fiber.StatusConflict, "transaction_id was already recorded with different content", fields}, true

	case errors.Is(err, application.ErrStoreUnavailable), errors.Is(err, context.DeadlineExceeded):
		return failure{fiber.StatusServiceUnavailable, "the store is unavailable, retry later", nil}, true
	}
	return failure{fiber.StatusInternalServerError, "internal error, quote the request id when you report it", nil}, false
}

// errorHandler maps every error a handler or Fiber returns to its status and envelope. It
// and classify are the only places that know which error means which HTTP status.
func errorHandler(logger *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var (
			fiberErr *fiber.Error
			limited  *rateLimitedError
		)
		switch {
		case errors.As(err, &limited):
			c.Set(fiber.HeaderRetryAfter, retryAfter(limited.retryAfter))
			return sendError(c, fiber.StatusTooManyRequests,
				"too many requests: this client is over its rate limit, retry after "+
					retryAfter(limited.retryAfter)+" s", nil)

		case errors.Is(err, errAtCapacity):
			c.Set(fiber.HeaderRetryAfter, retryAfterSeconds)
			return sendError(c, fiber.StatusServiceUnavailable,
				"txsync is at capacity, retry after "+retryAfterSeconds+" s", nil)

		case errors.Is(err, errMissingToken):
			// RFC 6750 section 3.1: no error code when the request carried no token.
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="txsync"`)
			return sendError(c, fiber.StatusUnauthorized, authMessage(err), nil)

		case errors.Is(err, partner.ErrInvalidToken):
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="txsync", error="invalid_token"`)
			return sendError(c, fiber.StatusUnauthorized, authMessage(err), nil)

		case errors.Is(err, partner.ErrClientDisabled):
			return sendError(c, fiber.StatusForbidden, "the client is disabled", nil)

		case errors.As(err, &fiberErr):
			return sendFiberError(c, fiberErr)
		}

		f, known := classify(err)
		switch {
		case !known:
			logger.Error("request failed", requestAttrs(c, err)...)
		case f.status == fiber.StatusServiceUnavailable:
			logger.Warn("store unavailable", requestAttrs(c, err)...)
			c.Set(fiber.HeaderRetryAfter, retryAfterSeconds)
		}
		return sendError(c, f.status, f.message, f.fields)
	}
}

// sendFiberError writes the envelope of an error Fiber itself raised: unknown route, wrong
// method, oversized body and the like.
func sendFiberError(c *fiber.Ctx, err *fiber.Error) error {
	switch err.Code {
	case fiber.StatusNotFound:
		return sendError(c, err.Code, "no such endpoint: "+c.Method()+" "+c.Path(), nil)
	case fiber.StatusMethodNotAllowed:
		c.Set(fiber.HeaderAllow, allowedMethods(c))
		return sendError(c, err.Code, "method "+c.Method()+" is not allowed here", nil)
	case fiber.StatusRequestEntityTooLarge:
		message := err.Message
		if message == fiber.ErrRequestEntityTooLarge.Message {
			message = "the request body is too large: at most 64 KiB for one purchase, 1 MiB for a batch"
		}
		return sendError(c, err.Code, message, nil)
	}
	return sendError(c, err.Code, err.Message, nil)
}

// allowedMethods lists the methods the app routes for the request's path, for the Allow
// header of a 405.
func allowedMethods(c *fiber.Ctx) string {
	allowed := ""
	for _, route := range c.App().GetRoutes(true) {
		if route.Path != c.Path() {
			continue
		}
		if allowed != "" {
			allowed += ", "
		}
		allowed += route.Method
	}
	return allowed
}

func authMessage(err error) string {
	if errors.Is(err, errMissingToken) {
		return "the Authorization header must carry a bearer access token"
	}
	return "the access token is invalid or expired, get a new one"
}
