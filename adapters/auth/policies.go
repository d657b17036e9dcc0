package auth

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/txsync/txsync/domain/partner"
)

// PolicyLister lists the clients that differ from the defaults: disabled, or with a rate
// limit of their own.
type PolicyLister interface {
	ListWithPolicies(ctx context.Context) ([]partner.Client, error)
}

// policies is one snapshot of the clients' policies.
type policies struct {
	disabled   map[string]struct{}
	rateLimits map[string]partner.RateLimit
}

// Policies keeps the disabled clients and the per-client rate limits in memory and reloads
// them from the store at a fixed interval, so checking a request never waits for the
// store. A change made on any instance applies everywhere within one interval. It
// implements application.DisabledClients.
type Policies struct {
	lister   PolicyLister
	interval time.Duration
	logger   *slog.Logger
	tracer   trace.Tracer
	current  atomic.Pointer[policies]
}

// NewPolicies returns policies that reload from lister every interval once Run is called.
// Each reload Run starts is traced by tracer as a trace of its own.
func NewPolicies(lister PolicyLister, interval time.Duration, logger *slog.Logger, tracer trace.Tracer) *Policies {
	p := &Policies{lister: lister, interval: interval, logger: logger, tracer: tracer}
	p.current.Store(&policies{})
	return p
}

// IsDisabled reports whether clientID was disabled at the last reload.
func (p *Policies) IsDisabled(clientID string) bool {
	_, disabled := p.current.Load().disabled[clientID]
	return disabled
}

// RateLimit returns clientID's own rate limit at the last reload, and false when it has
// none and the default applies.
func (p *Policies) RateLimit(clientID string) (partner.RateLimit, bool) {
	limit, ok := p.current.Load().rateLimits[clientID]
	return limit, ok
}

// Reload reads the policies from the store now.
func (p *Policies) Reload(ctx context.Context) error {
	clients, err := p.lister.ListWithPolicies(ctx)
	if err != nil {
		return err
	}
	next := &policies{
		disabled:   make(map[string]struct{}),
		rateLimits: make(map[string]partner.RateLimit),
	}
	for _, c := range clients {
		if c.Disabled {
			next.disabled[c.ID] = struct{}{}
		}
		if !c.RateLimit.IsZero() {
			next.rateLimits[c.ID] = c.RateLimit
		}
	}
	p.current.Store(next)
	return nil
}

// Run reloads the policies every interval until ctx ends. A failed reload keeps the last
// snapshot and is logged; the next tick tries again.
func (p *Policies) Run(ctx context.Context) {
	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()

	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		err := p.tracedReload(ctx)
		switch {
		case err != nil:
			failures++
			if failures == 1 || failures%60 == 0 {
				p.logger.Warn("reload client policies failed", "error", err, "failures", failures)
			}
		case failures > 0:
			p.logger.Info("reload client policies recovered", "failures", failures)
			failures = 0
		}
	}
}

func (p *Policies) tracedReload(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.interval)
	defer cancel()
	ctx, span := p.tracer.Start(ctx, "ReloadClientPolicies", trace.WithNewRoot())
	defer span.End()

	err := p.Reload(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "reload failed")
	}
	return err
}
