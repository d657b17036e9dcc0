package telemetry

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// Span attributes of txsync's own spans. They carry ids and masked identifiers, never
// personal data in full.
const (
	attrMerchantID      = "txsync.merchant.id"
	attrClientID        = "txsync.client.id"
	attrIdentifierType  = "txsync.customer.identifier_type"
	attrIdentifier      = "txsync.customer.identifier_masked"
	attrCustomerID      = "txsync.customer.id"
	attrPlatformID      = "txsync.transaction.platform_id"
	attrReplayed        = "txsync.transaction.replayed"
	attrCustomerCreated = "txsync.customer.created"
)

// Recorder records purchases, or previews what recording one would do.
type Recorder interface {
	Record(ctx context.Context, by partner.Principal, details purchase.Details) (application.Recorded, error)
	Preview(ctx context.Context, by partner.Principal, details purchase.Details) (application.Preview, error)
	RecordMany(ctx context.Context, by partner.Principal, details []purchase.Details) []application.ItemResult
}

// TokenIssuer checks client credentials and issues access tokens.
type TokenIssuer interface {
	Authenticate(token string) (partner.Principal, error)
	IssueToken(ctx context.Context, clientID, secret string) (application.Token, error)
}

// TraceRecorder wraps next in a span per purchase and counts the customers it creates.
func (t *Telemetry) TraceRecorder(next Recorder) Recorder {
	return &tracedRecorder{next: next, t: t}
}

type tracedRecorder struct {
	next Recorder
	t    *Telemetry
}

func (r *tracedRecorder) Record(
	ctx context.Context,
	by partner.Principal,
	details purchase.Details,
) (application.Recorded, error) {
	ctx, span := r.t.tracer.Start(ctx, "RecordTransaction", trace.WithAttributes(callerAttributes(by)...))
	defer span.End()
	if span.IsRecording() { // masking a phone number parses it again, so only sampled spans pay
		span.SetAttributes(
			attribute.String(attrIdentifierType, details.Customer.Type.String()),
			attribute.String(attrIdentifier, details.Customer.Masked()),
		)
	}

	recorded, err := r.next.Record(ctx, by, details)
	if err != nil {
		recordError(span, err)
		return recorded, err
	}

	span.SetAttributes(
		attribute.Int64(attrPlatformID, recorded.PlatformID),
		attribute.String(attrCustomerID, recorded.CustomerID.String()),
		attribute.Bool(attrReplayed, recorded.Replayed),
		attribute.Bool(attrCustomerCreated, recorded.CustomerCreated),
	)
	if recorded.CustomerCreated {
		r.t.instruments.customersCreated.Add(ctx, 1)
	}
	return recorded, nil
}

func (r *tracedRecorder) Preview(
	ctx context.Context,
	by partner.Principal,
	details purchase.Details,
) (application.Preview, error) {
	ctx, span := r.t.tracer.Start(ctx, "PreviewTransaction", trace.WithAttributes(callerAttributes(by)...))
	defer span.End()

	preview, err := r.next.Preview(ctx, by, details)
	if err != nil {
		recordError(span, err)
		return preview, err
	}
	span.SetAttributes(attribute.String("txsync.transaction.outcome", string(preview.Outcome)))
	return preview, nil
}

func (r *tracedRecorder) RecordMany(
	ctx context.Context,
	by partner.Principal,
	details []purchase.Details,
) []application.ItemResult {
	ctx, span := r.t.tracer.Start(ctx, "RecordTransactions", trace.WithAttributes(callerAttributes(by)...))
	span.SetAttributes(attribute.Int("txsync.batch.size", len(details)))
	defer span.End()

	results := r.next.RecordMany(ctx, by, details)
	created, failed := 0, 0
	for _, result := range results {
		if result.Err != nil {
			failed++
		}
		if result.Recorded.CustomerCreated {
			created++
		}
	}
	span.SetAttributes(attribute.Int("txsync.batch.failed", failed))
	r.t.instruments.customersCreated.Add(ctx, int64(created))
	return results
}

// TraceTokenIssuer wraps next in a span per token request and counts tokens issued and
// refused. Authenticate passes through untraced: it runs on every request and costs
// microseconds.
func (t *Telemetry) TraceTokenIssuer(next TokenIssuer) TokenIssuer {
	return &tracedTokenIssuer{next: next, t: t}
}

type tracedTokenIssuer struct {
	next TokenIssuer
	t    *Telemetry
}

func (i *tracedTokenIssuer) Authenticate(token string) (partner.Principal, error) {
	return i.next.Authenticate(token)
}

func (i *tracedTokenIssuer) IssueToken(ctx context.Context, clientID, secret string) (application.Token, error) {
	ctx, span := i.t.tracer.Start(ctx, "IssueToken", trace.WithAttributes(
		attribute.String(attrClientID, clientID),
	))
	defer span.End()

	token, err := i.next.IssueToken(ctx, clientID, secret)
	outcome := "issued"
	if err != nil {
		outcome = "refused"
		recordError(span, err)
	}
	i.t.instruments.tokens.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
	return token, err
}

// callerAttributes are the span attributes of the partner client that made a request.
func callerAttributes(by partner.Principal) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String(attrMerchantID, by.MerchantID),
		attribute.String(attrClientID, by.ClientID),
	}
}

// recordError records err on span. Errors a client caused (a conflict, bad credentials)
// are events only; other errors also set the span's status to Error.
func recordError(span trace.Span, err error) {
	span.RecordError(err)
	var conflict *application.ConflictError
	clientCaused := errors.As(err, &conflict) ||
		errors.Is(err, partner.ErrInvalidSecret) ||
		errors.Is(err, partner.ErrClientDisabled)
	if !clientCaused {
		span.SetStatus(codes.Error, err.Error())
	}
}
