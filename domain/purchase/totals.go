package purchase

import "time"

// Totals sums a set of purchases.
type Totals struct {
	Count          int
	Amount         Money
	CouponAmount   Money
	WxCouponAmount Money
	// First and Last are the earliest and latest purchase times; zero when Count is 0.
	First time.Time
	Last  time.Time
}

// Sum returns the totals of purchases.
func Sum(purchases []Purchase) Totals {
	var t Totals
	for _, p := range purchases {
		t.Count++
		t.Amount += p.Amount
		t.CouponAmount += p.CouponAmount
		t.WxCouponAmount += p.WxCouponAmount
		at := p.Time()
		if t.First.IsZero() || at.Before(t.First) {
			t.First = at
		}
		if at.After(t.Last) {
			t.Last = at
		}
	}
	return t
}
