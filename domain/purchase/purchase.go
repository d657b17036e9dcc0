// Package purchase holds the purchases partners record: their amounts in fen, their times
// and the rules that decide whether two requests describe the same purchase.
package purchase

import (
	"time"

	"github.com/google/uuid"

	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
)

// Details is a purchase as a partner described it, every field already parsed.
type Details struct {
	// TransactionID is the partner's own id of the purchase, unique per partner client.
	TransactionID string
	Customer      customer.Identifier
	// PurchaseTime is zero when the request carried none.
	PurchaseTime   time.Time
	Amount         Money
	CouponAmount   Money
	WxCouponAmount Money
	// CouponDetailID is zero when the request carried none.
	CouponDetailID int64
	Profile        customer.Profile
}

// Purchase is a recorded purchase.
type Purchase struct {
	Details
	// PlatformID is txsync's own id of the purchase, the one partners get back.
	PlatformID int64
	ClientID   string
	MerchantID string
	CustomerID uuid.UUID
	ReceivedAt time.Time
}

// New returns the purchase that by recorded with details, received at receivedAt.
func New(platformID int64, by partner.Principal, details Details, receivedAt time.Time) Purchase {
	return Purchase{
		Details:    details,
		PlatformID: platformID,
		ClientID:   by.ClientID,
		MerchantID: by.MerchantID,
		CustomerID: customer.IDOf(by.MerchantID, details.Customer),
		ReceivedAt: receivedAt,
	}
}

// Time returns when the purchase happened: the time the partner sent, or the time txsync
// received it when the partner sent none.
func (p Purchase) Time() time.Time {
	if p.PurchaseTime.IsZero() {
		return p.ReceivedAt
	}
	return p.PurchaseTime
}

// Diff returns the wire names of the fields in which d and other differ, in the order of the
// wire format, or nil when they describe the same purchase.
func (d Details) Diff(other Details) []string {
	var fields []string
	add := func(differ bool, field string) {
		if differ {
			fields = append(fields, field)
		}
	}

	add(d.TransactionID != other.TransactionID, "transaction_id")
	add(d.Customer.Value != other.Customer.Value, "customer_identifier")
	add(d.Customer.Type != other.Customer.Type, "identifier_type")
	add(!d.PurchaseTime.Equal(other.PurchaseTime), "purchase_time")
	add(d.Amount != other.Amount, "purchase_amount")
	add(d.CouponDetailID != other.CouponDetailID, "coupon_detail_id")
	add(d.CouponAmount != other.CouponAmount, "coupon_amount")
	add(d.WxCouponAmount != other.WxCouponAmount, "wx_coupon_amount")
	add(!equal(d.Profile.Gender, other.Profile.Gender), "gender")
	add(!equal(d.Profile.NickName, other.Profile.NickName), "customer_nick_name")
	add(!equal(d.Profile.Country, other.Profile.Country), "customer_country")
	add(!equal(d.Profile.Province, other.Profile.Province), "customer_province")
	add(!equal(d.Profile.City, other.Profile.City), "customer_city")
	return fields
}

func equal[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
