package httpapi

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/purchase"
)

// dryRunResult is the result of POST /tp/services/transaction?dry_run=true.
type dryRunResult struct {
	DryRun  bool                `json:"dry_run"`
	Outcome application.Outcome `json:"outcome"`
	// TransactionID is the platform id of the recorded purchase of a replay or a conflict.
	TransactionID int64  `json:"transaction_id,omitempty"`
	CustomerID    string `json:"customer_id"`
	// Purchase is, for a replay, the recorded purchase the real request would return, and
	// otherwise the purchase as it would be stored, normalized, with transaction_id 0: a
	// dry run allocates no platform id.
	Purchase transactionView `json:"purchase"`
}

// previewTransaction responds to a dry run with the status the real request would get, what would
// be stored and whether it would be new, a replay or a conflict. It stores nothing.
func (h *handlers) previewTransaction(
	ctx context.Context,
	c *fiber.Ctx,
	details purchase.Details,
	now time.Time,
) error {
	by := principal(c)
	preview, err := h.cfg.Recorder.Preview(ctx, by, details)
	if err != nil {
		return err
	}

	normalized := purchase.New(0, by, details, now)
	result := dryRunResult{
		DryRun:        true,
		Outcome:       preview.Outcome,
		TransactionID: preview.Recorded.PlatformID,
		CustomerID:    normalized.CustomerID.String(),
		Purchase:      h.newTransactionView(normalized),
	}
	if preview.Outcome == application.OutcomeReplay {
		result.Purchase = h.newTransactionView(preview.Recorded)
	}
	if preview.Outcome == application.OutcomeConflict {
		conflict := &application.ConflictError{Fields: preview.Fields, PlatformID: preview.Recorded.PlatformID}
		f, _ := classify(conflict)
		return c.Status(f.status).JSON(envelope{
			Status:    status{Code: "409", Message: f.message},
			Result:    result,
			Errors:    f.fields,
			RequestID: requestID(c),
		})
	}
	if preview.Outcome == application.OutcomeReplay {
		c.Set("Idempotent-Replayed", "true")
	}
	return sendSuccess(c, result)
}
