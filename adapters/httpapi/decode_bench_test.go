package httpapi

import (
	"testing"
	"time"
)

// BenchmarkDecodePurchase measures reading, validating and normalizing the original API
// page's example request: the work every purchase costs before the store.
func BenchmarkDecodePurchase(b *testing.B) {
	body := []byte(`{
    "transaction_id": "12345wefr23r",
    "customer_identifier": "13592619028",
    "identifier_type": 3,
    "purchase_time": "2016-03-24 10:10:00",
    "purchase_amount": 14.1,
    "coupon_detail_id": 123456,
    "coupon_amount": 0.8,
    "wx_coupon_amount": 0,
    "gender": 1,
    "customer_nick_name": "ethan",
    "customer_country": " 中国",
    "customer_province": "广东",
    "customer_city": "深圳"
}`)
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()

	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePurchase(body, loc, now); err != nil {
			b.Fatal(err)
		}
	}
}
