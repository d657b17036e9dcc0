// Package ratelimit keeps token buckets per key (a client id, a remote address) in memory,
// with golang.org/x/time/rate.
package ratelimit

import (
	"math"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/txsync/txsync/domain/partner"
)

// maxIdleKeys is how many buckets the limiter keeps before it drops the full ones: a full
// bucket is the same as a new one, so dropping it changes no decision.
const maxIdleKeys = 10000

// Decision is the outcome of taking units from a bucket, with what the RateLimit-* headers
// report.
type Decision struct {
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

// Limiter keeps one token bucket per key. Each key gets the limit its override returns, or
// the default. It is safe for concurrent use.
//
// Limit: buckets live in one process, so N instances behind a load balancer let a client
// through at up to N times its limit.
type Limiter struct {
	defaults partner.RateLimit
	override func(key string) (partner.RateLimit, bool)
	now      func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	limit   partner.RateLimit
	limiter *rate.Limiter
}

// New returns a limiter with defaults for every key that override, when not nil, has no
// limit for.
func New(defaults partner.RateLimit, override func(key string) (partner.RateLimit, bool)) *Limiter {
	return &Limiter{defaults: defaults, override: override, now: time.Now, buckets: make(map[string]*bucket)}
}

// Allow takes cost units from key's bucket when it has them. A cost above the bucket's
// size is charged as the whole bucket, so a large batch waits for a full bucket instead of
// never passing.
func (l *Limiter) Allow(key string, cost int) Decision {
	limit := l.defaults
	if l.override != nil {
		if own, ok := l.override(key); ok {
			limit = own
		}
	}
	cost = max(1, min(cost, limit.Burst))
	now := l.now()

	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key, limit, now)
	allowed := b.limiter.AllowN(now, cost)
	tokens := b.limiter.TokensAt(now)

	d := Decision{
		Allowed:   allowed,
		Limit:     limit.Burst,
		Remaining: max(0, int(math.Floor(tokens))),
		Reset:     duration(float64(limit.Burst)-tokens, limit.PerSecond),
	}
	if !allowed {
		d.RetryAfter = duration(float64(cost)-tokens, limit.PerSecond)
	}
	return d
}

// bucket returns key's bucket, made anew when its limit changed. The caller holds l.mu.
func (l *Limiter) bucket(key string, limit partner.RateLimit, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if ok && b.limit == limit {
		return b
	}
	if len(l.buckets) >= maxIdleKeys {
		l.dropFull(now)
	}
	b = &bucket{limit: limit, limiter: rate.NewLimiter(rate.Limit(limit.PerSecond), limit.Burst)}
	// A copy, because callers may pass strings whose bytes they reuse, as Fiber's request
	// values are.
	l.buckets[strings.Clone(key)] = b
	return b
}

func (l *Limiter) dropFull(now time.Time) {
	for key, b := range l.buckets {
		if b.limiter.TokensAt(now) >= float64(b.limit.Burst) {
			delete(l.buckets, key)
		}
	}
}

// duration returns how long units take to flow in at perSecond, rounded up to whole
// seconds as the headers carry them.
func duration(units, perSecond float64) time.Duration {
	if units <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(units/perSecond)) * time.Second
}
