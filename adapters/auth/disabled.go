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

// DisabledLister lists the disabled clients in the store.
type DisabledLister interface {
	ListDisabled(ctx context.Context) ([]partner.Client, error)
}

// Disabled keeps the set of disabled clients in memory and reloads it from the store at a
// fixed interval, so checking a token never waits for the store. A client disabled on any
// instance is refused everywhere within one interval. It implements
// application.DisabledClients.
type Disabled struct {
	lister   DisabledLister
	interval time.Duration
	logger   *slog.Logger
	tracer   trace.Tracer
	ids      atomic.Pointer[map[string]struct{}]
}

// NewDisabled returns a set that reloads from lister every interval once Run is called.
// Each reload Run starts is traced by tracer as a trace of its own.
func NewDisabled(lister DisabledLister, interval time.Duration, logger *slog.Logger, tracer trace.Tracer) *Disabled {
	d := &Disabled{lister: lister, interval: interval, logger: logger, tracer: tracer}
	d.ids.Store(&map[string]struct{}{})
	return d
}

// IsDisabled reports whether clientID was disabled at the last reload.
func (d *Disabled) IsDisabled(clientID string) bool {
	_, disabled := (*d.ids.Load())[clientID]
	return disabled
}

// Reload reads the disabled clients from the store now.
func (d *Disabled) Reload(ctx context.Context) error {
	clients, err := d.lister.ListDisabled(ctx)
	if err != nil {
		return err
	}
	ids := make(map[string]struct{}, len(clients))
	for _, c := range clients {
		ids[c.ID] = struct{}{}
	}
	d.ids.Store(&ids)
	return nil
}

// Run reloads the set every interval until ctx ends. A failed reload keeps the last set
// and is logged; the next tick tries again.
func (d *Disabled) Run(ctx context.Context) {
	ticker := time.NewTicker(d.interval)
	defer ticker.Stop()

	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		err := d.tracedReload(ctx)
		switch {
		case err != nil:
			failures++
			if failures == 1 || failures%60 == 0 {
				d.logger.Warn("reload disabled clients failed", "error", err, "failures", failures)
			}
		case failures > 0:
			d.logger.Info("reload disabled clients recovered", "failures", failures)
			failures = 0
		}
	}
}

func (d *Disabled) tracedReload(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.interval)
	defer cancel()
	ctx, span := d.tracer.Start(ctx, "ReloadDisabledClients", trace.WithNewRoot())
	defer span.End()

	err := d.Reload(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "reload failed")
	}
	return err
}
