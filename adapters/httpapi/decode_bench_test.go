package httpapi

import (
	"os"
	"testing"
	"time"
)

// BenchmarkDecodePurchase measures reading, validating and normalizing the original API
// page's example request: the work every purchase costs before the store.
func BenchmarkDecodePurchase(b *testing.B) {
	body, err := os.ReadFile("testdata/original-example.json")
	if err != nil {
		b.Fatal(err)
	}
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
