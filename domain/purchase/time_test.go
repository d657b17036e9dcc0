package purchase_test

import (
	"testing"
	"time"
	_ "time/tzdata" // zone data inside the test binary, so the host's zone files do not matter

	"github.com/txsync/txsync/domain/purchase"
)

func shanghai(t *testing.T) *time.Location {
	t.Helper()

	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("load Asia/Shanghai: %v", err)
	}
	return loc
}

func TestParsePurchaseTime(t *testing.T) {
	t.Parallel()

	loc := shanghai(t)
	now := time.Date(2024, time.June, 1, 12, 0, 0, 0, time.UTC)
	utc := func(year int, month time.Month, day, hour, minute, second, milli int) time.Time {
		return time.Date(year, month, day, hour, minute, second, milli*1e6, time.UTC)
	}

	tests := []struct {
		name string
		in   string
		loc  *time.Location
		want time.Time
	}{
		{name: "local layout in shanghai", in: "2016-03-24 10:10:00", loc: loc,
			want: utc(2016, 3, 24, 2, 10, 0, 0)},
		{name: "local layout in utc", in: "2016-03-24 10:10:00", loc: time.UTC,
			want: utc(2016, 3, 24, 10, 10, 0, 0)},
		{name: "nil location is utc", in: "2016-03-24 10:10:00", loc: nil,
			want: utc(2016, 3, 24, 10, 10, 0, 0)},
		{name: "local layout trimmed", in: " \u30002016-03-24 10:10:00\ufeff", loc: loc,
			want: utc(2016, 3, 24, 2, 10, 0, 0)},
		{name: "rfc 3339 with offset", in: "2016-03-24T10:10:00+08:00", loc: loc,
			want: utc(2016, 3, 24, 2, 10, 0, 0)},
		{name: "rfc 3339 offset wins over location", in: "2016-03-24T10:10:00-05:30",
			loc: loc, want: utc(2016, 3, 24, 15, 40, 0, 0)},
		{name: "rfc 3339 z", in: "2016-03-24T10:10:00Z", loc: loc,
			want: utc(2016, 3, 24, 10, 10, 0, 0)},
		{name: "rfc 3339 lowercase", in: "2016-03-24t10:10:00z", loc: loc,
			want: utc(2016, 3, 24, 10, 10, 0, 0)},
		{name: "rfc 3339 minus zero", in: "2016-03-24T10:10:00-00:00", loc: loc,
			want: utc(2016, 3, 24, 10, 10, 0, 0)},
		{name: "rfc 3339 largest offset", in: "2016-03-24T23:59:00+23:59", loc: loc,
			want: utc(2016, 3, 24, 0, 0, 0, 0)},
		{name: "fraction kept to milliseconds", in: "2016-03-24T10:10:00.123Z", loc: loc,
			want: utc(2016, 3, 24, 10, 10, 0, 123)},
		{name: "fraction truncated not rounded", in: "2016-03-24T10:10:00.9999Z", loc: loc,
			want: utc(2016, 3, 24, 10, 10, 0, 999)},
		{name: "one fraction digit", in: "2016-03-24T10:10:00.5+08:00", loc: loc,
			want: utc(2016, 3, 24, 2, 10, 0, 500)},
		{name: "twelve fraction digits", in: "2016-03-24T10:10:00.123456789123Z", loc: loc,
			want: utc(2016, 3, 24, 10, 10, 0, 123)},
		{name: "leap day", in: "2016-02-29 10:10:00", loc: loc,
			want: utc(2016, 2, 29, 2, 10, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := purchase.ParsePurchaseTime(tt.in, tt.loc, now)
			if err != nil {
				t.Fatalf("ParsePurchaseTime(%q) error = %v, want nil", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParsePurchaseTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("ParsePurchaseTime(%q) location = %v, want UTC", tt.in, got.Location())
			}
		})
	}
}

func TestParsePurchaseTime_invalidFormat(t *testing.T) {
	t.Parallel()

	loc := shanghai(t)
	now := time.Date(2024, time.June, 1, 12, 0, 0, 0, time.UTC)
	const want = "must be a time formatted as yyyy-mm-dd HH:mm:ss or RFC 3339 with an offset"

	for _, in := range []string{
		"",
		"2016-03-24",
		"10:10:00",
		"1458785400",
		"2016-03-24T10:10:00",       // RFC 3339 without an offset
		"2016-03-24 10:10:00+08:00", // local layout with an offset
		"2016-03-24 10:10:00Z",
		"2016-03-24 10:10:00.5", // time.Parse alone accepts a fraction here
		"2016-03-24 1:10:00",    // and a one-digit hour
		"2016-3-24 10:10:00",
		"2016/03/24 10:10:00",
		"2016-03-24  10:10:00",
		"2016-03-24 10:10",
		"２０１６-03-24 10:10:00",
		"2016-03-24 10:10:60", // leap second
		"2016-03-24T10:10:60Z",
		"2016-03-24T23:59:60+08:00",
		"2016-02-30 10:10:00",
		"2015-02-29 10:10:00",
		"2016-13-01 10:10:00",
		"2016-03-24 24:00:00",
		"2016-03-24T24:00:00Z",
		"2016-03-24T10:60:00Z",
		"2016-03-24T10:10:00,5Z", // time.Parse accepts a comma
		"2016-03-24T10:10:00.Z",
		"2016-03-24T10:10:00+24:00", // time.Parse accepts offsets up to +99:59
		"2016-03-24T10:10:00+08:60",
		"2016-03-24T10:10:00+0800",
		"2016-03-24T10:10:00+08",
		"2016-03-24T10:10:00ZZ",
		"2016-03-24T10:10:00 +08:00",
		"2016-03-24T10:10:00\x00Z",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()

			got, err := purchase.ParsePurchaseTime(in, loc, now)
			if err == nil {
				t.Fatalf("ParsePurchaseTime(%q) = %v, want error %q", in, got, want)
			}
			if err.Error() != want {
				t.Errorf("ParsePurchaseTime(%q) error = %q, want %q", in, err, want)
			}
		})
	}
}

func TestParsePurchaseTime_range(t *testing.T) {
	t.Parallel()

	loc := shanghai(t)
	// 2024-06-01 20:00:00 in Shanghai.
	now := time.Date(2024, time.June, 1, 12, 0, 0, 0, time.UTC)
	const (
		future = "must not be more than 24 hours in the future"
		early  = "must not be before 2000-01-01"
	)

	tests := []struct {
		name    string
		in      string
		loc     *time.Location
		wantErr string
	}{
		{name: "now", in: "2024-06-01 20:00:00", loc: loc},
		{name: "exactly 24 hours ahead", in: "2024-06-02 20:00:00", loc: loc},
		{name: "one second past 24 hours", in: "2024-06-02 20:00:01", loc: loc,
			wantErr: future},
		{name: "one millisecond past 24 hours", in: "2024-06-02T12:00:00.001Z", loc: loc,
			wantErr: future},
		{name: "sub-millisecond past 24 hours truncated", in: "2024-06-02T12:00:00.0009Z",
			loc: loc},
		{name: "far future", in: "9999-12-31 23:59:59", loc: loc, wantErr: future},
		{name: "start of 2000 in shanghai", in: "2000-01-01 00:00:00", loc: loc},
		{name: "last second of 1999 in shanghai", in: "1999-12-31 23:59:59", loc: loc,
			wantErr: early},
		{name: "start of 2000 in shanghai as utc", in: "1999-12-31T16:00:00Z", loc: loc},
		{name: "just before 2000 in shanghai as utc", in: "1999-12-31T15:59:59.999Z",
			loc: loc, wantErr: early},
		{name: "1999 in utc is 2000 in shanghai", in: "1999-12-31T17:00:00Z", loc: loc},
		{name: "same instant is 1999 in utc", in: "1999-12-31T17:00:00Z", loc: time.UTC,
			wantErr: early},
		{name: "year zero", in: "0000-01-01 00:00:00", loc: loc, wantErr: early},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := purchase.ParsePurchaseTime(tt.in, tt.loc, now)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("ParsePurchaseTime(%q) error = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParsePurchaseTime(%q) = %v, want error %q", tt.in, got, tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("ParsePurchaseTime(%q) error = %q, want %q", tt.in, err, tt.wantErr)
			}
		})
	}
}
