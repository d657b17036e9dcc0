package httpapi

import (
	"errors"

	"github.com/gofiber/fiber/v2"
)

// errAtCapacity rejects a write that arrives while MaxInFlight writes are in progress.
var errAtCapacity = errors.New("txsync is at capacity")

// admitWrite passes a write on when fewer than MaxInFlight writes are in progress and
// rejects it at once with errAtCapacity otherwise. Past the store's capacity, queued
// writes would wait until their timeout, so every partner would get slow answers and then
// 503s. Rejecting the excess at once keeps the admitted writes fast, and the partners'
// retries of the rejected ones are safe.
//
// Limit: a batch holds one slot whatever its size, so batches of 500 purchases are let in
// as freely as single purchases.
func (h *handlers) admitWrite(c *fiber.Ctx) error {
	if h.inFlight == nil {
		return c.Next()
	}
	select {
	case h.inFlight <- struct{}{}:
	default:
		return errAtCapacity
	}
	defer func() { <-h.inFlight }()
	return c.Next()
}
