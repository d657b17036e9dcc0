package purchase_test

import (
	"slices"
	"testing"
	"time"

	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/purchase"
)

func ptr[T any](v T) *T { return &v }

func baseDetails() purchase.Details {
	return purchase.Details{
		TransactionID:  "T-1",
		Customer:       customer.Identifier{Type: customer.Phone, Value: "+8613592619028"},
		PurchaseTime:   time.Date(2016, 3, 24, 2, 10, 0, 0, time.UTC),
		Amount:         1410,
		CouponAmount:   80,
		CouponDetailID: 123456,
		Profile:        customer.Profile{NickName: ptr("ethan"), Gender: ptr(customer.Male)},
	}
}

func TestDetails_Diff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*purchase.Details)
		want   []string
	}{
		{"same content", func(*purchase.Details) {}, nil},
		{"same nick name in a new string", func(d *purchase.Details) { d.Profile.NickName = ptr("ethan") }, nil},
		{"same instant in another zone", func(d *purchase.Details) {
			d.PurchaseTime = d.PurchaseTime.In(time.FixedZone("CST", 8*3600))
		}, nil},
		{"amount", func(d *purchase.Details) { d.Amount = 1411 }, []string{"purchase_amount"}},
		{"identifier", func(d *purchase.Details) { d.Customer.Value = "+8613500000000" }, []string{"customer_identifier"}},
		{"identifier type", func(d *purchase.Details) { d.Customer.Type = customer.WeChat }, []string{"identifier_type"}},
		{"time dropped", func(d *purchase.Details) { d.PurchaseTime = time.Time{} }, []string{"purchase_time"}},
		{"coupon detail", func(d *purchase.Details) { d.CouponDetailID = 0 }, []string{"coupon_detail_id"}},
		{"wx coupon", func(d *purchase.Details) { d.WxCouponAmount = 1 }, []string{"wx_coupon_amount"}},
		{"gender dropped", func(d *purchase.Details) { d.Profile.Gender = nil }, []string{"gender"}},
		{"city added", func(d *purchase.Details) { d.Profile.City = ptr("深圳") }, []string{"customer_city"}},
		{"two fields", func(d *purchase.Details) {
			d.CouponAmount = 0
			d.Profile.NickName = ptr("eve")
		}, []string{"coupon_amount", "customer_nick_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			changed := baseDetails()
			tt.change(&changed)

			if got := baseDetails().Diff(changed); !slices.Equal(got, tt.want) {
				t.Errorf("Diff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPurchase_Time(t *testing.T) {
	t.Parallel()
	received := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	by := partner.Principal{ClientID: "c", MerchantID: "m"}

	withTime := purchase.New(1, by, baseDetails(), received)
	if got := withTime.Time(); !got.Equal(baseDetails().PurchaseTime) {
		t.Errorf("Time() = %s, want the purchase time %s", got, baseDetails().PurchaseTime)
	}

	d := baseDetails()
	d.PurchaseTime = time.Time{}
	withoutTime := purchase.New(1, by, d, received)
	if got := withoutTime.Time(); !got.Equal(received) {
		t.Errorf("Time() = %s, want the receive time %s", got, received)
	}
	if withTime.CustomerID != customer.IDOf("m", d.Customer) {
		t.Errorf("CustomerID = %s, want the merchant's id of the identifier", withTime.CustomerID)
	}
}

func TestSum(t *testing.T) {
	t.Parallel()
	by := partner.Principal{ClientID: "c", MerchantID: "m"}
	at := func(day int) time.Time { return time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC) }
	var purchases []purchase.Purchase
	for i, day := range []int{5, 2, 9} {
		d := baseDetails()
		d.PurchaseTime = at(day)
		d.Amount = purchase.Money(100 * (i + 1))
		d.WxCouponAmount = 1
		purchases = append(purchases, purchase.New(int64(i+1), by, d, at(20)))
	}

	got := purchase.Sum(purchases)

	if got.Count != 3 {
		t.Errorf("Count = %d, want 3", got.Count)
	}
	if got.Amount != 600 || got.CouponAmount != 240 || got.WxCouponAmount != 3 {
		t.Errorf("sums = %d, %d, %d, want 600, 240, 3", got.Amount, got.CouponAmount, got.WxCouponAmount)
	}
	if !got.First.Equal(at(2)) || !got.Last.Equal(at(9)) {
		t.Errorf("First, Last = %s, %s, want %s, %s", got.First, got.Last, at(2), at(9))
	}
	if empty := purchase.Sum(nil); empty.Count != 0 || !empty.First.IsZero() {
		t.Errorf("Sum(nil) = %+v, want zero totals", empty)
	}
}
