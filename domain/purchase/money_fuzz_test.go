package purchase_test

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/txsync/txsync/domain/purchase"
)

// maxFen is the largest amount a partner may send: 10^12 yuan.
const maxFen = 100_000_000_000_000

// plainAmount matches a JSON number without sign or exponent and with at most 2 decimals,
// whose value in fen is exact by construction.
var plainAmount = regexp.MustCompile(`^(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$`)

// FuzzParseMoney checks that ParseMoney accepts only amounts from 0 to 10^12 yuan, each
// within 0.0005 yuan of its text. The text String gives must parse back to the same
// amount. Every plain text with at most 2 decimals in range must be accepted with its
// exact value.
func FuzzParseMoney(f *testing.F) {
	for _, seed := range []string{
		// Accepted.
		"0", "-0", "-0.00", "1", "14.1", "14.10", "19.99", "0.57", "0.01", "9.99e1",
		"9.99E+1", "1e-2", "1e12", "1000000000000", "999999999999.99",
		"14.100000000000001", "14.099999999999999", "0.30000000000000004",
		"5.551115123125783e-17", "1e-999999", "999999999999.9995",
		// Rejected.
		"", "abc", "+1", "01", "1.", ".5", "1e", "0x10", "14,10", " 1", "NaN", "１",
		"-1", "-0.01", "-1e999999", "14.105", "1.005", "0.001", "14.005",
		"1000000000000.01", "1e13", "1e999999", "9223372036854775808",
		"1000000000000.00051",
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, number string) {
		m, err := purchase.ParseMoney(number)
		if fen, ok := plainFen(number); ok {
			if err != nil {
				t.Fatalf("ParseMoney(%q) error = %v, want %d fen", number, err, fen)
			}
			if m != fen {
				t.Fatalf("ParseMoney(%q) = %d fen, want %d", number, m, fen)
			}
		}
		if err != nil {
			if m != 0 {
				t.Errorf("ParseMoney(%q) = %d fen with error %v, want 0 with an error", number, m, err)
			}
			return
		}

		if m < 0 || m > maxFen {
			t.Fatalf("ParseMoney(%q) = %d fen, want 0 to %d", number, m, maxFen)
		}
		back, err := purchase.ParseMoney(m.String())
		if err != nil || back != m {
			t.Errorf("ParseMoney(%q) = %d, %v, want %d (the text of ParseMoney(%q))",
				m.String(), back, err, m, number)
		}
		if distance, ok := fenDistance(number, m); ok && distance.Cmp(big.NewRat(1, 20)) > 0 {
			t.Errorf("ParseMoney(%q) = %d fen, which is %s fen away, want at most 1/20 fen",
				number, m, distance.FloatString(6))
		}
	})
}

// plainFen returns the value in fen of a text that plainAmount matches and whose value is
// at most 10^12 yuan. It reports false for every other text.
func plainFen(number string) (purchase.Money, bool) {
	match := plainAmount.FindStringSubmatch(number)
	if match == nil || len(match[1]) > 13 {
		return 0, false
	}
	yuan, err := strconv.ParseInt(match[1], 10, 64)
	if err != nil {
		return 0, false
	}
	cents, err := strconv.ParseInt((match[2] + "00")[:2], 10, 64)
	if err != nil {
		return 0, false
	}
	fen := yuan*100 + cents
	if fen > maxFen {
		return 0, false
	}
	return purchase.Money(fen), true
}

// fenDistance returns |number − m| in fen, computed exactly. It reports false for texts
// with an exponent or over 400 bytes, whose exact value could be costly to build.
func fenDistance(number string, m purchase.Money) (*big.Rat, bool) {
	if len(number) > 400 || strings.ContainsAny(number, "eE") {
		return nil, false
	}
	yuan, ok := new(big.Rat).SetString(number)
	if !ok {
		return nil, false
	}
	distance := yuan.Mul(yuan, big.NewRat(100, 1))
	distance.Sub(distance, big.NewRat(int64(m), 1))
	return distance.Abs(distance), true
}
