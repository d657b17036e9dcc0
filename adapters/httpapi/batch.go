package httpapi

import (
	"bytes"
	"context"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/domain/purchase"
)

const (
	// maxBatchItems is the largest number of purchases one batch request may carry.
	maxBatchItems = 500
	// maxBatchBodyBytes is the largest batch request body.
	maxBatchBodyBytes = 1 << 20
)

// batchResult is the result of a batch request: one envelope per purchase, in the order
// of the request.
type batchResult struct {
	Transactions []envelope `json:"transactions"`
}

// recordBatch records the purchases of {"transactions": [...]} with a few writes for all
// of them. Each item gets the envelope a single request would have got, and a broken item
// never fails the others. Items with the same transaction_id are judged in request order,
// so the first one decides and the others replay or conflict with it.
func (h *handlers) recordBatch(c *fiber.Ctx) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	if c.Query("dry_run") != "" {
		// Ignoring it would store what the partner meant only to check.
		return fieldError("dry_run", "is not supported on the batch endpoint: "+
			"check purchases one at a time with POST /tp/services/transaction?dry_run=true")
	}
	items, err := batchItems(c.Body())
	if err != nil {
		return err
	}
	release, err := h.admitMore(len(items) - 1) // admitWrite holds the first one's place
	if err != nil {
		return err
	}
	defer release()
	if err := h.charge(c, len(items)); err != nil {
		return err
	}

	now := h.cfg.Clock.Now()
	results := make([]envelope, len(items))
	var valid []purchase.Details
	var positions []int // the item index of each valid purchase
	for i, item := range items {
		d, err := decodePurchase(item, h.cfg.Location, now)
		if err != nil {
			results[i] = h.itemFailure(c, err)
			continue
		}
		valid = append(valid, d)
		positions = append(positions, i)
	}

	if len(valid) > 0 {
		ctx, cancel := context.WithTimeout(c.UserContext(), h.cfg.StoreTimeout)
		defer cancel()
		for k, result := range h.cfg.Recorder.RecordMany(ctx, principal(c), valid) {
			i := positions[k]
			if result.Err != nil {
				results[i] = h.itemFailure(c, result.Err)
				continue
			}
			results[i] = envelope{
				Status: status{Code: "200", Message: "success"},
				Result: purchaseResult{
					TransactionID: result.Recorded.PlatformID,
					CustomerID:    result.Recorded.CustomerID.String(),
					Replayed:      result.Recorded.Replayed,
				},
			}
		}
	}

	return sendSuccess(c, batchResult{Transactions: results})
}

// itemFailure is the envelope of one failed batch item. It carries the batch's request id,
// and defects are logged with it.
func (h *handlers) itemFailure(c *fiber.Ctx, err error) envelope {
	f, known := classify(err)
	if !known {
		h.cfg.Logger.Error("batch item failed", requestAttrs(c, err)...)
	}
	return envelope{
		Status:    status{Code: strconv.Itoa(f.status), Message: f.message},
		Errors:    f.fields,
		RequestID: requestID(c),
	}
}

// batchItems returns the raw purchases of a batch body: an object whose member
// "transactions" is an array of 1 to maxBatchItems values.
func batchItems(body []byte) ([]jsontext.Value, error) {
	if len(body) > maxBatchBodyBytes {
		return nil, fiber.NewError(fiber.StatusRequestEntityTooLarge, "a batch body must be at most 1 MiB")
	}
	values, err := outerMembers(body)
	if err != nil {
		return nil, err
	}
	list, ok := values["transactions"]
	if !ok || list.Kind() == 'n' {
		return nil, fieldError("transactions", `is required: send {"transactions": [purchase, ...]}`)
	}
	if list.Kind() != '[' {
		return nil, fieldError("transactions", "must be an array of purchases")
	}

	dec := jsontext.NewDecoder(bytes.NewReader(list),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if _, err := dec.ReadToken(); err != nil {
		return nil, syntaxError(err)
	}
	var items []jsontext.Value
	for dec.PeekKind() != ']' {
		item, err := dec.ReadValue()
		if err != nil {
			return nil, syntaxError(err)
		}
		if len(items) == maxBatchItems {
			return nil, fieldError("transactions", "must hold at most 500 purchases")
		}
		items = append(items, item.Clone())
	}
	if len(items) == 0 {
		return nil, fieldError("transactions", "must hold at least one purchase")
	}
	return items, nil
}
