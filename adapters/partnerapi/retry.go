package partnerapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// maxResponseBytes caps how much of a response body the client reads. Partner API
// responses are a few hundred bytes.
const maxResponseBytes = 1 << 20

// ErrUnreachable is returned when a request got no HTTP response, after all retries.
var ErrUnreachable = errors.New("partner API unreachable")

// RetryPolicy bounds the retries of a request that got a 503, a 429 or no response at
// all. Recording a purchase is safe to retry because the partner API records each
// transaction_id once and returns the same platform id for a repeat.
type RetryPolicy struct {
	// Attempts is the maximum number of requests sent, the first one included.
	Attempts int
	// Backoff is the wait before the first retry. It doubles for each further retry,
	// and each wait is shortened by a random part of up to half, so that concurrent
	// clients do not retry in step.
	Backoff time.Duration
	// MaxWait caps one wait. A Retry-After longer than MaxWait ends the retries and
	// the last response is returned.
	MaxWait time.Duration
}

// DefaultRetryPolicy sends a request up to 5 times, waiting about 0.25, 0.5, 1 and 2
// seconds, or longer when the server's Retry-After header requests it.
var DefaultRetryPolicy = RetryPolicy{
	Attempts: 5,
	Backoff:  250 * time.Millisecond,
	MaxWait:  10 * time.Second,
}

// reply is one HTTP response, read in full.
type reply struct {
	status   int
	header   http.Header
	body     []byte
	attempts int
}

// send sends the request that build makes, building it again for each attempt, and
// retries on a 503, a 429 or a transport error as c.retry allows. It returns the last
// response, or an error wrapping ErrUnreachable when no attempt got a response.
func (c *Client) send(
	ctx context.Context,
	build func(context.Context) (*http.Request, error),
) (reply, error) {
	for attempt := 1; ; attempt++ {
		r, err := c.sendOnce(ctx, build)
		if err != nil && ctx.Err() != nil {
			return reply{}, ctx.Err()
		}
		r.attempts = attempt
		if err == nil && r.status != http.StatusServiceUnavailable &&
			r.status != http.StatusTooManyRequests {
			return r, nil
		}

		wait, retry := c.retry.wait(attempt, r.header)
		if !retry && err != nil {
			return reply{}, fmt.Errorf("%w after %d attempts: %w", ErrUnreachable, attempt, err)
		}
		if !retry {
			return r, nil
		}

		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return reply{}, ctx.Err()
		case <-timer.C:
		}
	}
}

// sendOnce sends one request and reads its whole body.
func (c *Client) sendOnce(
	ctx context.Context,
	build func(context.Context) (*http.Request, error),
) (reply, error) {
	req, err := build(ctx)
	if err != nil {
		return reply{}, fmt.Errorf("build request: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close() // read in full below; a close error changes nothing

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return reply{}, fmt.Errorf("read %s response of %s: %w", resp.Status, req.URL.Path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// wait returns how long to wait after the attempt-th request failed, and false when no
// retry is left. header is the failed response's header, nil after a transport error.
func (p RetryPolicy) wait(attempt int, header http.Header) (time.Duration, bool) {
	if attempt >= p.Attempts {
		return 0, false
	}
	backoff := p.Backoff << (attempt - 1)
	if backoff <= 0 || backoff > p.MaxWait {
		backoff = p.MaxWait
	}
	backoff -= rand.N(backoff/2 + 1)

	retryAfter, ok := parseRetryAfter(header.Get("Retry-After"), time.Now())
	if ok && retryAfter > p.MaxWait {
		return 0, false
	}
	return max(backoff, retryAfter), true
}

// parseRetryAfter reads a Retry-After value, either delay seconds or an HTTP date
// (RFC 9110 section 10.2.3), as a duration from now.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil && seconds >= 0 {
		return time.Duration(min(seconds, 1<<31)) * time.Second, true
	}
	date, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(date.Sub(now), 0), true
}
