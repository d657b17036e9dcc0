package purchase_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/txsync/txsync/domain/purchase"
	"github.com/txsync/txsync/domain/text"
)

// localTime matches the local layout yyyy-mm-dd HH:mm:ss, which has no offset.
var localTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$`)

// FuzzParsePurchaseTime checks that every accepted purchase time is in UTC and in whole
// milliseconds, not before 2000-01-01 in the merchants' zone and not more than 24 hours
// after now. A local time must read back as the same text in that zone. The second
// argument picks now, in seconds after 2000-01-01 UTC, taken modulo 150 years.
func FuzzParsePurchaseTime(f *testing.F) {
	start := time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)
	june2024 := int64(time.Date(2024, time.June, 1, 12, 0, 0, 0, time.UTC).Sub(start) / time.Second)
	for _, seed := range []string{
		// Accepted at june2024.
		"2016-03-24 10:10:00", " \u30002016-03-24 10:10:00\ufeff", "2016-03-24T10:10:00+08:00",
		"2016-03-24T10:10:00-05:30", "2016-03-24T10:10:00Z", "2016-03-24t10:10:00z",
		"2016-03-24T10:10:00-00:00", "2016-03-24T23:59:00+23:59", "2016-03-24T10:10:00.9999Z",
		"2016-03-24T10:10:00.123456789123Z", "2016-02-29 10:10:00", "2024-06-02 20:00:00",
		"2000-01-01 00:00:00", "1999-12-31T16:00:00Z",
		// Rejected at june2024.
		"", "2016-03-24", "2016-03-24 10:10", "2016-3-24 10:10:00", "2016-03-24T10:10:00",
		"2016-03-24 10:10:00+08:00", "2016-03-24T10:10:00+24:00", "2016-03-24T10:10:00,5Z",
		"2016-03-24T10:10:00.Z", "2016-02-30 10:10:00", "2016-12-31 23:59:60",
		"2024-06-02 20:00:01", "2024-06-02T12:00:00.001Z", "9999-12-31 23:59:59",
		"1999-12-31 23:59:59", "1999-12-31T15:59:59.999Z", "0000-01-01 00:00:00",
		"２０１６-03-24 10:10:00",
	} {
		f.Add(seed, june2024)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatalf("load Asia/Shanghai: %v", err)
	}
	const span = 150 * 365 * 24 * 60 * 60

	f.Fuzz(func(t *testing.T, s string, nowSeconds int64) {
		now := start.Add(time.Duration(uint64(nowSeconds)%span) * time.Second)
		got, err := purchase.ParsePurchaseTime(s, loc, now)
		if err != nil {
			if !got.IsZero() {
				t.Errorf("ParsePurchaseTime(%q) = %v with error %v, want the zero time", s, got, err)
			}
			return
		}

		if got.Location() != time.UTC {
			t.Errorf("ParsePurchaseTime(%q) location = %v, want UTC", s, got.Location())
		}
		if !got.Equal(got.Truncate(time.Millisecond)) {
			t.Errorf("ParsePurchaseTime(%q) = %v, want whole milliseconds", s, got)
		}
		if earliest := time.Date(2000, time.January, 1, 0, 0, 0, 0, loc); got.Before(earliest) {
			t.Errorf("ParsePurchaseTime(%q) = %v, want not before %v", s, got, earliest)
		}
		if latest := now.Add(24 * time.Hour); got.After(latest) {
			t.Errorf("ParsePurchaseTime(%q) = %v, want not after %v (now + 24 h)", s, got, latest)
		}
		if trimmed := text.Trim(s); localTime.MatchString(trimmed) {
			if back := got.In(loc).Format("2006-01-02 15:04:05"); back != trimmed {
				t.Errorf("ParsePurchaseTime(%q) = %v, which reads %q in %v, want %q",
					s, got, back, loc, trimmed)
			}
		}
	})
}
