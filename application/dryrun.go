package application

import (
	"context"
	"errors"
	"fmt"

	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// Outcome is the result of recording a purchase, or of a preview of it.
type Outcome string

// Outcomes of recording a purchase.
const (
	OutcomeNew      Outcome = "new"
	OutcomeReplay   Outcome = "replay"
	OutcomeConflict Outcome = "conflict"
)

// Preview is the outcome recording a purchase would have now.
type Preview struct {
	Outcome Outcome
	// Recorded is the stored purchase of a replay or a conflict.
	Recorded purchase.Purchase
	// Fields are the wire names of the fields that differ, for a conflict.
	Fields []string
}

// Preview returns the outcome Record would have with details for by, storing nothing. A purchase
// recorded after Preview returns can change the outcome.
func (r *RecordTransaction) Preview(
	ctx context.Context,
	by partner.Principal,
	details purchase.Details,
) (Preview, error) {
	recorded, err := r.transactions.FindByTransactionID(ctx, by.ClientID, details.TransactionID)
	if errors.Is(err, ErrNotFound) {
		return Preview{Outcome: OutcomeNew}, nil
	}
	if err != nil {
		return Preview{}, fmt.Errorf("load recorded transaction: %w", err)
	}
	if fields := recorded.Details.Diff(details); len(fields) > 0 {
		return Preview{Outcome: OutcomeConflict, Recorded: recorded, Fields: fields}, nil
	}
	return Preview{Outcome: OutcomeReplay, Recorded: recorded}, nil
}
