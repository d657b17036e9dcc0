package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

// Reader serves partners' read-back requests.
type Reader interface {
	Transaction(ctx context.Context, by partner.Principal, transactionID string) (purchase.Purchase, error)
	TransactionByPlatformID(ctx context.Context, by partner.Principal, platformID int64) (purchase.Purchase, error)
	Customer(ctx context.Context, by partner.Principal, identifier customer.Identifier) (application.CustomerView, error)
	CustomerTransactions(
		ctx context.Context,
		by partner.Principal,
		identifier customer.Identifier,
		before int64,
		limit int,
	) (application.Page, error)
}

// defaultPageSize is the page size of a customer's purchases when the request names none.
const defaultPageSize = 50

// contractTimeLayout is the partner API's time format, used in the merchants' zone.
const contractTimeLayout = "2006-01-02 15:04:05"

// yuan is an amount written as a JSON number with two decimals, such as 14.10.
type yuan purchase.Money

func (y yuan) MarshalJSON() ([]byte, error) {
	return []byte(purchase.Money(y).String()), nil
}

// transactionView is a recorded purchase as read-back requests return it.
type transactionView struct {
	TransactionID        int64    `json:"transaction_id"`
	PartnerTransactionID string   `json:"partner_transaction_id"`
	CustomerID           string   `json:"customer_id"`
	IdentifierType       int      `json:"identifier_type"`
	CustomerIdentifier   string   `json:"customer_identifier"`
	PurchaseTime         string   `json:"purchase_time"`
	PurchaseAmount       yuan     `json:"purchase_amount"`
	CouponAmount         yuan     `json:"coupon_amount"`
	WxCouponAmount       yuan     `json:"wx_coupon_amount"`
	CouponDetailID       int64    `json:"coupon_detail_id,omitempty"`
	Profile              *profile `json:"profile,omitempty"`
	ReceivedAt           string   `json:"received_at"`
}

// profile is the customer profile a purchase carried, or a customer's merged profile.
type profile struct {
	Gender   *int    `json:"gender,omitempty"`
	NickName *string `json:"customer_nick_name,omitempty"`
	Country  *string `json:"customer_country,omitempty"`
	Province *string `json:"customer_province,omitempty"`
	City     *string `json:"customer_city,omitempty"`
}

func newProfile(p customer.Profile) *profile {
	if p.IsZero() {
		return nil
	}
	view := &profile{NickName: p.NickName, Country: p.Country, Province: p.Province, City: p.City}
	if p.Gender != nil {
		gender := int(*p.Gender)
		view.Gender = &gender
	}
	return view
}

func (h *handlers) newTransactionView(p purchase.Purchase) transactionView {
	return transactionView{
		TransactionID:        p.PlatformID,
		PartnerTransactionID: p.TransactionID,
		CustomerID:           p.CustomerID.String(),
		IdentifierType:       int(p.Customer.Type),
		CustomerIdentifier:   p.Customer.Value,
		PurchaseTime:         h.formatTime(p.Time()),
		PurchaseAmount:       yuan(p.Amount),
		CouponAmount:         yuan(p.CouponAmount),
		WxCouponAmount:       yuan(p.WxCouponAmount),
		CouponDetailID:       p.CouponDetailID,
		Profile:              newProfile(p.Profile),
		ReceivedAt:           h.formatTime(p.ReceivedAt),
	}
}

func (h *handlers) formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(h.cfg.Location).Format(contractTimeLayout)
}

// readTransaction returns one purchase of the caller's, by the partner's transaction id
// or by the platform's.
func (h *handlers) readTransaction(c *fiber.Ctx) error {
	partnerID, platformText := c.Query("transaction_id"), c.Query("platform_transaction_id")
	if (partnerID == "") == (platformText == "") {
		return fieldError("transaction_id", "exactly one of transaction_id and platform_transaction_id is required")
	}

	ctx, cancel := context.WithTimeout(c.UserContext(), h.cfg.StoreTimeout)
	defer cancel()
	var p purchase.Purchase
	var err error
	if partnerID != "" {
		p, err = h.cfg.Reader.Transaction(ctx, principal(c), partnerID)
	} else {
		platformID, parseErr := strconv.ParseInt(platformText, 10, 64)
		if parseErr != nil || platformID <= 0 {
			return fieldError("platform_transaction_id", "must be a positive integer")
		}
		p, err = h.cfg.Reader.TransactionByPlatformID(ctx, principal(c), platformID)
	}
	if errors.Is(err, application.ErrNotFound) {
		return notFound("no transaction with that id was recorded by this client, or for its merchant")
	}
	if err != nil {
		return err
	}
	return sendSuccess(c, h.newTransactionView(p))
}

// customerView is a customer with its merged profile and totals.
type customerView struct {
	CustomerID         string   `json:"customer_id"`
	IdentifierType     int      `json:"identifier_type"`
	CustomerIdentifier string   `json:"customer_identifier"`
	CreatedAt          string   `json:"created_at"`
	Profile            *profile `json:"profile,omitempty"`
	Totals             totals   `json:"totals"`
}

type totals struct {
	TransactionCount  int    `json:"transaction_count"`
	PurchaseAmount    yuan   `json:"purchase_amount"`
	CouponAmount      yuan   `json:"coupon_amount"`
	WxCouponAmount    yuan   `json:"wx_coupon_amount"`
	FirstPurchaseTime string `json:"first_purchase_time,omitempty"`
	LastPurchaseTime  string `json:"last_purchase_time,omitempty"`
}

func (h *handlers) readCustomer(c *fiber.Ctx) error {
	identifier, err := queryIdentifier(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), h.cfg.StoreTimeout)
	defer cancel()
	view, err := h.cfg.Reader.Customer(ctx, principal(c), identifier)
	if errors.Is(err, application.ErrNotFound) {
		return notFound("no customer with that identifier exists for this client's merchant")
	}
	if err != nil {
		return err
	}

	return sendSuccess(c, customerView{
		CustomerID:         view.ID.String(),
		IdentifierType:     int(view.Identifier.Type),
		CustomerIdentifier: view.Identifier.Value,
		CreatedAt:          h.formatTime(view.CreatedAt),
		Profile:            newProfile(view.Profile),
		Totals: totals{
			TransactionCount:  view.Totals.Count,
			PurchaseAmount:    yuan(view.Totals.Amount),
			CouponAmount:      yuan(view.Totals.CouponAmount),
			WxCouponAmount:    yuan(view.Totals.WxCouponAmount),
			FirstPurchaseTime: h.formatTime(view.Totals.First),
			LastPurchaseTime:  h.formatTime(view.Totals.Last),
		},
	})
}

// transactionPage is one page of a customer's purchases, newest first.
type transactionPage struct {
	Transactions []transactionView `json:"transactions"`
	NextCursor   string            `json:"next_cursor,omitempty"`
}

func (h *handlers) readCustomerTransactions(c *fiber.Ctx) error {
	identifier, err := queryIdentifier(c)
	if err != nil {
		return err
	}
	limit := defaultPageSize
	if text := c.Query("limit"); text != "" {
		limit, err = strconv.Atoi(text)
		if err != nil || limit < 1 || limit > application.MaxPageSize {
			return fieldError("limit", "must be an integer from 1 to 200")
		}
	}
	before, err := decodeCursor(c.Query("cursor"))
	if err != nil {
		return fieldError("cursor", "is invalid: pass the next_cursor of the previous page unchanged")
	}

	ctx, cancel := context.WithTimeout(c.UserContext(), h.cfg.StoreTimeout)
	defer cancel()
	page, err := h.cfg.Reader.CustomerTransactions(ctx, principal(c), identifier, before, limit)
	if errors.Is(err, application.ErrNotFound) {
		return notFound("no customer with that identifier exists for this client's merchant")
	}
	if err != nil {
		return err
	}

	views := make([]transactionView, len(page.Purchases))
	for i, p := range page.Purchases {
		views[i] = h.newTransactionView(p)
	}
	result := transactionPage{Transactions: views}
	if page.Next != 0 {
		result.NextCursor = encodeCursor(page.Next)
	}
	return sendSuccess(c, result)
}

// queryIdentifier reads identifier_type and customer_identifier from the query string and
// normalizes the identifier as a purchase request would.
func queryIdentifier(c *fiber.Ctx) (customer.Identifier, error) {
	invalid := &purchase.ValidationError{}
	typeText, raw := c.Query("identifier_type"), c.Query("customer_identifier")
	if typeText == "" {
		invalid.Add("identifier_type", errRequired)
	}
	if raw == "" {
		invalid.Add("customer_identifier", errRequired)
	}
	if err := invalid.Err(); err != nil {
		return customer.Identifier{}, err
	}
	identifierType, err := customer.ParseIdentifierType(typeText)
	if err != nil {
		invalid.Add("identifier_type", err)
		return customer.Identifier{}, invalid
	}
	identifier, err := customer.NewIdentifier(identifierType, raw)
	if err != nil {
		invalid.Add("customer_identifier", err)
		return customer.Identifier{}, invalid
	}
	return identifier, nil
}

// Cursors are opaque to partners: the platform id to continue below, base64url-encoded
// with a prefix that leaves room for other kinds of cursor.
const cursorPrefix = "p:"

func encodeCursor(before int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(before, 10)))
}

func decodeCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, err
	}
	text, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, errors.New("unknown cursor kind")
	}
	before, err := strconv.ParseInt(text, 10, 64)
	if err != nil || before <= 0 {
		return 0, errors.New("invalid cursor position")
	}
	return before, nil
}

func fieldError(field, reason string) error {
	invalid := &purchase.ValidationError{}
	invalid.Add(field, errors.New(reason))
	return invalid
}

// notFoundError is a read-back of something the caller's merchant does not have. Another
// merchant's data is reported the same way, so callers cannot probe for it.
type notFoundError struct{ message string }

func (e *notFoundError) Error() string { return e.message }

func notFound(message string) error {
	return &notFoundError{message: message}
}
