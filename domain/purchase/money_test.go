package purchase_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/txsync/txsync/domain/purchase"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want purchase.Money
	}{
		{in: "0", want: 0},
		{in: "-0", want: 0},
		{in: "-0.00", want: 0},
		{in: "-0e5", want: 0},
		{in: "0e999999999999999999999", want: 0},
		{in: "1", want: 100},
		{in: "14.1", want: 1410},
		{in: "14.10", want: 1410},
		{in: "14.100", want: 1410},
		{in: "19.99", want: 1999},
		{in: "0.57", want: 57},
		{in: "0.01", want: 1},
		{in: "0.1", want: 10},
		{in: "9.99e1", want: 9990},
		{in: "9.99E+1", want: 9990},
		{in: "1E2", want: 10000},
		{in: "1e-2", want: 1},
		{in: "1410e-2", want: 1410},
		{in: "0.0141e3", want: 1410},
		{in: "1000000000000", want: 100_000_000_000_000},
		{in: "1e12", want: 100_000_000_000_000},
		{in: "999999999999.99", want: 99_999_999_999_999},
		// Floating-point noise rounds to the nearest fen.
		{in: "14.100000000000001", want: 1410},
		{in: "14.099999999999999", want: 1410},
		{in: "0.30000000000000004", want: 30},
		{in: "0.010000000000000002", want: 1},
		{in: "5.551115123125783e-17", want: 0}, // 0.1 + 0.2 - 0.3
		{in: "1e-20", want: 0},
		{in: "1e-999999", want: 0},
		{in: "0." + strings.Repeat("0", 9998) + "1", want: 0},
		{in: "1410.0000000000001e-2", want: 1410},
		{in: "999999999999.9999", want: 100_000_000_000_000},
		// Exact decimal expansions of the doubles nearest 0.1 + 0.2 and 0.1 × 0.1.
		{in: "0.3000000000000000444089209850062616169452667236328125", want: 30},
		{in: "0.010000000000000001942890293094023945741355419158935546875", want: 1},
		// Trailing zeros and large exponents that cancel do not count as digits.
		{in: "14.1" + strings.Repeat("0", 10_000), want: 1410},
		{in: "1" + strings.Repeat("0", 10_000) + "e-9998", want: 10000},
	}
	for _, tt := range tests {
		t.Run(shorten(tt.in), func(t *testing.T) {
			t.Parallel()

			got, err := purchase.ParseMoney(tt.in)
			if err != nil {
				t.Fatalf("ParseMoney(%q) error = %v, want nil", shorten(tt.in), err)
			}
			if got != tt.want {
				t.Errorf("ParseMoney(%q) = %d fen, want %d", shorten(tt.in), got, tt.want)
			}
		})
	}
}

func TestParseMoney_invalid(t *testing.T) {
	t.Parallel()

	const (
		notNumber = "must be a number"
		negative  = "must not be negative"
		decimals  = "must have at most 2 decimal places"
		tooLarge  = "must be at most 1000000000000"
	)
	tests := []struct {
		in   string
		want string
	}{
		{in: "", want: notNumber},
		{in: "abc", want: notNumber},
		{in: "+1", want: notNumber},
		{in: "01", want: notNumber},
		{in: "00.5", want: notNumber},
		{in: "1.", want: notNumber},
		{in: ".5", want: notNumber},
		{in: "1e", want: notNumber},
		{in: "1e+", want: notNumber},
		{in: "1.5.2", want: notNumber},
		{in: "0x10", want: notNumber},
		{in: "1_000", want: notNumber},
		{in: "14,10", want: notNumber},
		{in: " 1", want: notNumber},
		{in: "1 ", want: notNumber},
		{in: "--1", want: notNumber},
		{in: "-", want: notNumber},
		{in: "NaN", want: notNumber},
		{in: "Infinity", want: notNumber},
		{in: "１", want: notNumber},
		{in: `"14.1"`, want: notNumber},
		{in: "-1", want: negative},
		{in: "-0.01", want: negative},
		{in: "-0.001", want: negative},
		{in: "-1e-30", want: negative},
		{in: "-1e999999", want: negative},
		{in: "14.105", want: decimals},
		{in: "1.005", want: decimals},
		{in: "0.001", want: decimals},
		{in: "14.1001", want: decimals},
		{in: "14.10000001", want: decimals},
		{in: "0.0000001", want: decimals},
		{in: "1e-3", want: decimals},
		{in: "14.005", want: decimals}, // a tie between two fen is never noise
		{in: "14." + strings.Repeat("1", 10_000), want: decimals},
		{in: "1000000000000.01", want: tooLarge},
		{in: "1000000000000.005", want: tooLarge},
		{in: "1000000000001", want: tooLarge},
		{in: "1e13", want: tooLarge},
		{in: "1.0000000000001e12", want: tooLarge},
		{in: "9223372036854775808", want: tooLarge},
		{in: "1e999999", want: tooLarge},
		{in: "1e99999999999999999999999999", want: tooLarge},
		{in: "1" + strings.Repeat("0", 10_000), want: tooLarge},
	}
	for _, tt := range tests {
		t.Run(shorten(tt.in), func(t *testing.T) {
			t.Parallel()

			got, err := purchase.ParseMoney(tt.in)
			if err == nil {
				t.Fatalf("ParseMoney(%q) = %d fen, want error %q", shorten(tt.in), got, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseMoney(%q) error = %q, want %q", shorten(tt.in), err, tt.want)
			}
		})
	}
}

// TestParseMoney_noiseBoundary checks both sides of the noise bound. Near 14.10 yuan the
// float64 ulp is 2^-49, so the bound is 64 × 2^-49 = 2^-43 yuan. Near 0 it is 64 ulps of
// 0.01, which is 2^-53 yuan. Near 10^12 yuan 64 ulps exceed 0.0005 yuan, so that cap
// applies.
func TestParseMoney_noiseBoundary(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		in      string
		want    purchase.Money
		wantErr bool
	}{
		{name: "14.10 plus 2^-43", in: "14.1000000000001136868377216160297393798828125",
			want: 1410},
		{name: "14.10 plus just over 2^-43",
			in: "14.10000000000011368683772161602973937988281251", wantErr: true},
		{name: "14.10 minus 2^-43", in: "14.0999999999998863131622783839702606201171875",
			want: 1410},
		{name: "14.10 minus just over 2^-43",
			in: "14.09999999999988631316227838397026062011718749", wantErr: true},
		{name: "0 plus 2^-53", in: "1.1102230246251565404236316680908203125e-16", want: 0},
		{name: "0 plus just over 2^-53",
			in: "1.11022302462515654042363166809082031251e-16", wantErr: true},
		{name: "10^12 minus 0.0005", in: "999999999999.9995", want: 100_000_000_000_000},
		{name: "10^12 minus 0.00051", in: "999999999999.99949", wantErr: true},
		{name: "10^12 plus 0.0005", in: "1000000000000.0005", want: 100_000_000_000_000},
		{name: "10^12 plus 0.00051", in: "1000000000000.00051", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := purchase.ParseMoney(tt.in)
			if tt.wantErr {
				const want = "must have at most 2 decimal places"
				if err == nil || err.Error() != want {
					t.Fatalf("ParseMoney(%q) = %d fen, %v, want error %q", tt.in, got, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMoney(%q) error = %v, want nil", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseMoney(%q) = %d fen, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseMoney_hugeTextsCheap checks that huge texts are decided without building big
// numbers, whose digits alone would take many allocations. It cannot run in parallel
// because testing.AllocsPerRun must not.
func TestParseMoney_hugeTextsCheap(t *testing.T) {
	for _, in := range []string{
		"1e999999",
		"1e-999999",
		"1" + strings.Repeat("0", 10_000),
		"0." + strings.Repeat("0", 10_000) + "1",
		"14." + strings.Repeat("1", 10_000),
	} {
		allocs := testing.AllocsPerRun(10, func() {
			_, _ = purchase.ParseMoney(in)
		})
		// One allocation joins the integer and fraction digits.
		if allocs > 1 {
			t.Errorf("ParseMoney(%q) allocations = %v, want at most 1", shorten(in), allocs)
		}
	}
}

func TestMoney_String(t *testing.T) {
	t.Parallel()

	tests := []struct {
		money purchase.Money
		want  string
	}{
		{money: 0, want: "0.00"},
		{money: 1, want: "0.01"},
		{money: 57, want: "0.57"},
		{money: 1410, want: "14.10"},
		{money: 1999, want: "19.99"},
		{money: 100_000_000_000_000, want: "1000000000000.00"},
		{money: -1410, want: "-14.10"},
		{money: -5, want: "-0.05"},
		{money: -9223372036854775808, want: "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.money.String(); got != tt.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tt.money), got, tt.want)
		}
	}
}

// shorten keeps long test inputs readable in subtest names and failure messages.
func shorten(s string) string {
	if len(s) <= 60 {
		return s
	}
	return s[:30] + "…" + s[len(s)-20:] + " (" + strconv.Itoa(len(s)) + " bytes)"
}
