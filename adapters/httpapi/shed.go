package httpapi

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
)

// MaxBatchItems is the largest number of purchases one batch request may carry, and so the
// smallest MaxInFlight that admits every batch.
const MaxBatchItems = maxBatchItems

// errAtCapacity rejects a write that arrives while MaxInFlight purchases are in progress.
var errAtCapacity = errors.New("txsync is at capacity")

// admitWrite passes a write on when fewer than MaxInFlight purchases are in progress and
// rejects it at once with errAtCapacity otherwise. Past the store's capacity, queued
// writes would wait until their timeout, so every partner would get slow responses and
// then 503s. Rejecting the excess at once keeps the admitted writes fast, and the partners'
// retries of the rejected ones are safe.
//
// The write holds one purchase's place. A batch takes the places of its other purchases
// with admitMore once it has split its body into items.
func (h *handlers) admitWrite(c *fiber.Ctx) error {
	if h.inFlight == nil {
		return c.Next()
	}
	if !h.inFlight.TryAcquire(1) {
		return errAtCapacity
	}
	defer h.inFlight.Release(1)
	return c.Next()
}

// admitMore takes n more places for the write in progress, or returns errAtCapacity. Call
// the returned function when the write is done.
func (h *handlers) admitMore(n int) (release func(), err error) {
	if h.inFlight == nil || n <= 0 {
		return func() {}, nil
	}
	if !h.inFlight.TryAcquire(int64(n)) {
		return nil, fmt.Errorf("%w: no room for %d more purchases", errAtCapacity, n)
	}
	return func() { h.inFlight.Release(int64(n)) }, nil
}
