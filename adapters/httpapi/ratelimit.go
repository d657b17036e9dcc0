package httpapi

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// RateDecision is the outcome of taking units from a rate limit bucket.
type RateDecision struct {
	Allowed bool
	// Limit is the bucket's size, the most units available at once.
	Limit int
	// Remaining is how many whole units are left after this request.
	Remaining int
	// Reset is how long until the bucket is full again.
	Reset time.Duration
	// RetryAfter is how long until the request's cost is available, when it was denied.
	RetryAfter time.Duration
}

// RateLimit takes cost units from key's bucket.
type RateLimit func(key string, cost int) RateDecision

// rateLimitedError is a request over its client's rate limit.
type rateLimitedError struct {
	retryAfter time.Duration
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("over the rate limit, retry after %s", e.retryAfter)
}

// limitClient charges one unit to the authenticated client's bucket, and the batch
// endpoint one per purchase.
func (h *handlers) limitClient(c *fiber.Ctx) error {
	if err := h.charge(c, 1); err != nil {
		return err
	}
	return c.Next()
}

// charge takes cost units from the caller's bucket and reports the bucket in the
// RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers. Without a limit
// configured every request passes.
func (h *handlers) charge(c *fiber.Ctx, cost int) error {
	if h.cfg.ClientLimit == nil {
		return nil
	}
	d := h.cfg.ClientLimit(principal(c).ClientID, cost)
	setRateHeaders(c, d)
	if !d.Allowed {
		return &rateLimitedError{retryAfter: d.RetryAfter}
	}
	return nil
}

func setRateHeaders(c *fiber.Ctx, d RateDecision) {
	c.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	c.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	c.Set("RateLimit-Reset", strconv.Itoa(int(d.Reset.Seconds())))
}

// retryAfter formats a wait for the Retry-After header: whole seconds, at least one.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second)))
}
