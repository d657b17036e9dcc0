package retail

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxIntegerDigits keeps the integer part of a parsed amount far from int64 overflow.
const maxIntegerDigits = 15

var errOverflow = errors.New("overflows int64 hundredths")

// ParseCents reads a decimal price such as "2.55", "2.1", "165" or "-11062.06" as an
// exact number of hundredths. It rejects a third decimal, exponents, a missing integer
// part and anything else that is not plain decimal text.
func ParseCents(s string) (int64, error) {
	digits, negative := strings.CutPrefix(s, "-")
	whole, fraction, hasPoint := strings.Cut(digits, ".")
	switch {
	case whole == "" || !allDigits(whole):
		return 0, fmt.Errorf("price %q: want digits before the decimal point", s)
	case len(whole) > maxIntegerDigits:
		return 0, fmt.Errorf("price %q: more than %d digits before the point", s, maxIntegerDigits)
	case hasPoint && (fraction == "" || !allDigits(fraction)):
		return 0, fmt.Errorf("price %q: want digits after the decimal point", s)
	case len(fraction) > 2:
		return 0, fmt.Errorf("price %q: more than 2 decimals, so not exact in hundredths", s)
	}

	units, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("price %q: %w", s, err)
	}
	hundredths := int64(0)
	if fraction != "" {
		hundredths, _ = strconv.ParseInt((fraction + "0")[:2], 10, 64) // digits checked above
	}
	cents := units*100 + hundredths
	if negative {
		cents = -cents
	}
	return cents, nil
}

// FormatCents writes cents as a decimal with exactly two decimals, such as "15.30",
// "0.05" or "-12.50".
func FormatCents(cents int64) string {
	sign := ""
	magnitude := uint64(cents)
	if cents < 0 {
		sign, magnitude = "-", uint64(-(cents+1))+1 // also exact for math.MinInt64
	}
	return fmt.Sprintf("%s%d.%02d", sign, magnitude/100, magnitude%100)
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// multiplyCents returns quantity × cents, or errOverflow.
func multiplyCents(quantity, cents int64) (int64, error) {
	if quantity == 0 || cents == 0 {
		return 0, nil
	}
	product := quantity * cents
	if product/quantity != cents || (quantity == -1 && cents == math.MinInt64) {
		return 0, errOverflow
	}
	return product, nil
}

// addCents returns a + b, or errOverflow.
func addCents(a, b int64) (int64, error) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, errOverflow
	}
	return a + b, nil
}
