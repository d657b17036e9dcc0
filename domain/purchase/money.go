package purchase

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Money is an amount in fen (1/100 yuan). Amounts parsed from partner requests are never
// negative and never above 10^12 yuan.
type Money int64

// String formats m in yuan with two decimals, such as "14.10" for 1410 fen.
func (m Money) String() string {
	sign := ""
	fen := uint64(m)
	if m < 0 {
		sign = "-"
		fen = -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

const (
	maxYuan = 1_000_000_000_000
	maxFen  = maxYuan * 100

	// noiseULPs is how far, in units in the last place (ulps) of the float64 nearest to the
	// rounded amount, a text may lie from a whole fen and still count as floating-point
	// noise. Summing or scaling a few doubles errs by a handful of ulps. 64 ulps of 10^9
	// yuan are about 0.0000076 yuan, so below that amount every text at least 0.00001 yuan
	// away from a whole fen is rejected, such as 14.105 or 14.10001.
	noiseULPs = 64

	// maxSignificantDigits bounds the significant digits that ParseMoney reads exactly,
	// ignoring leading and trailing zeros. No decimal rendering of a float64 at or above
	// 10^-20 needs more than about 100, because the exact expansion of a double in
	// [2^k, 2^(k+1)) has 52-k fractional digits.
	maxSignificantDigits = 120

	// tinyExponent is the decimal exponent below which every value is noise around zero,
	// because 10^-20 is far below the noise bound at zero, 2^-53 (about 1.1×10^-16) yuan.
	tinyExponent = -20
)

// maxNoise caps the noise bound at 0.0005 yuan (1/20 fen), whatever the ulp.
var maxNoise = big.NewRat(1, 20)

var (
	errNotNumber = errors.New("must be a number")
	errNegative  = errors.New("must not be negative")
	errDecimals  = errors.New("must have at most 2 decimal places")
	errTooLarge  = fmt.Errorf("must be at most %d", maxYuan)
)

// ParseMoney reads a yuan amount from number, the exact text of a JSON number as it
// appeared on the wire ("14.1", "9.99e1", "-0"), and returns it in fen. The decision is
// made on the decimal text with exact arithmetic, never on a float64.
//
// The amount must not be negative (negative zero is zero) and must not exceed 10^12 yuan
// after rounding. It may have at most 2 decimals, except that floating-point noise is
// rounded to the nearest fen. A text is noise when it differs from the nearest fen by at
// most 64 ulps of the float64 nearest to that fen amount (taking 0.01 yuan for zero), and
// by at most 0.0005 yuan. So "14.100000000000001" is 1410 fen, while "14.105" and
// "14.1001" are rejected.
//
// Texts with an exponent far out of range are decided without building big numbers, and
// texts with more than 120 significant digits are rejected before any.
func ParseMoney(number string) (Money, error) {
	d, ok := scanDecimal(number)
	if !ok {
		return 0, errNotNumber
	}
	if d.digits == "" {
		return 0, nil
	}
	if d.negative {
		return 0, errNegative
	}

	msd := d.leadingExponent()
	if msd > 12 { // at least 10^13 yuan
		return 0, errTooLarge
	}
	if msd < tinyExponent {
		return 0, nil
	}
	// Limit: a text with over 120 significant digits is rejected even when it lies within
	// the noise bound, such as 14.1 followed by 200 more digits. No rendering of a float64
	// in range needs that many.
	if len(d.digits) > maxSignificantDigits {
		return 0, errDecimals
	}

	return roundToFen(d)
}

// decimal is the value digits × 10^exponent, negated when negative is set. Digits has no
// leading or trailing zeros, so it is empty exactly when the value is zero.
type decimal struct {
	negative bool
	digits   string
	exponent int64
}

// leadingExponent returns the power of ten of the most significant digit of d.
func (d decimal) leadingExponent() int64 {
	return int64(len(d.digits)) - 1 + d.exponent
}

// maxExponentText caps the exponent read from the text, so that an exponent with
// thousands of digits cannot overflow. Any value beyond it is far out of range anyway.
const maxExponentText = 1_000_000_000

// scanDecimal parses s by the JSON number grammar and reports whether it matched.
func scanDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.negative = true
		i++
	}

	intStart := i
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = skipDigits(s, i)
	default:
		return decimal{}, false
	}
	intPart := s[intStart:i]

	fraction := ""
	if i < len(s) && s[i] == '.' {
		start := i + 1
		i = skipDigits(s, start)
		if i == start {
			return decimal{}, false
		}
		fraction = s[start:i]
	}

	var exponent int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		var ok bool
		exponent, i, ok = scanExponent(s, i+1)
		if !ok {
			return decimal{}, false
		}
	}
	if i != len(s) {
		return decimal{}, false
	}

	digits := strings.TrimLeft(intPart+fraction, "0")
	significant := strings.TrimRight(digits, "0")
	d.digits = significant
	d.exponent = exponent - int64(len(fraction)) + int64(len(digits)-len(significant))
	return d, true
}

// scanExponent reads the optionally signed exponent digits of s from i. It returns the
// exponent, clamped to ±maxExponentText, and the index after it.
func scanExponent(s string, i int) (int64, int, bool) {
	negative := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		negative = s[i] == '-'
		i++
	}

	start := i
	var exponent int64
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		exponent = min(exponent*10+int64(s[i]-'0'), maxExponentText)
	}
	if i == start {
		return 0, i, false
	}
	if negative {
		exponent = -exponent
	}
	return exponent, i, true
}

func skipDigits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// roundToFen rounds d to the nearest fen and checks the range and the noise bound. The
// caller has bounded d to at most maxSignificantDigits digits between 10^-20 and 10^12.
func roundToFen(d decimal) (Money, error) {
	if d.exponent >= -2 {
		return wholeFen(d)
	}
	digits, ok := new(big.Int).SetString(d.digits, 10)
	if !ok {
		return 0, errNotNumber
	}

	// fenValue = digits × 10^(exponent+2) = numerator / denominator.
	numerator, denominator := digits, big.NewInt(1)
	if shift := d.exponent + 2; shift >= 0 {
		numerator.Mul(numerator, pow10(shift))
	} else {
		denominator = pow10(-shift)
	}

	// nearest = floor(fenValue + 1/2). A tie lies 0.005 yuan from both neighbours, which is
	// never noise, so the tie rule does not matter.
	nearest := new(big.Int).Lsh(numerator, 1)
	nearest.Add(nearest, denominator)
	nearest.Quo(nearest, new(big.Int).Lsh(denominator, 1))
	if nearest.Cmp(big.NewInt(maxFen)) > 0 {
		return 0, errTooLarge
	}
	fen := nearest.Int64()

	distance := new(big.Rat).SetFrac(numerator, denominator)
	distance.Sub(distance, new(big.Rat).SetInt64(fen))
	distance.Abs(distance)
	if distance.Cmp(noiseBound(fen)) > 0 {
		return 0, errDecimals
	}
	return Money(fen), nil
}

// wholeFen returns d in fen when d has at most two decimals, as nearly every amount does:
// the value is then a whole number of fen, so it needs no rounding and no big numbers. The
// caller has checked that d is below 10^13 yuan, so the result fits in an int64.
func wholeFen(d decimal) (Money, error) {
	fen, err := strconv.ParseInt(d.digits, 10, 64)
	if err != nil {
		return 0, errNotNumber
	}
	for range d.exponent + 2 {
		fen *= 10
	}
	if fen > maxFen {
		return 0, errTooLarge
	}
	return Money(fen), nil
}

// noiseBound returns, in fen, how far a text may lie from fen and still be noise. The bound
// is noiseULPs ulps of the float64 nearest to fen/100 yuan, capped at maxNoise.
func noiseBound(fen int64) *big.Rat {
	// A float64 in [2^e, 2^(e+1)) has an ulp of 2^(e-52). Finding e from the integer fen
	// count keeps the bound exact. The amount fen/100 lies in [2^e, 2^(e+1)) exactly when
	// floor(fen×128/100) lies in [2^(e+7), 2^(e+8)), and fen×128 fits in 64 bits for every
	// amount up to 10^12 yuan.
	scaled := uint64(max(fen, 1)) << 7 / 100
	e := bits.Len64(scaled) - 1 - 7

	// noiseULPs × 2^(e-52) yuan, expressed in fen.
	bound := new(big.Rat).SetInt64(noiseULPs * 100)
	bound.Mul(bound, pow2(e-52))
	if bound.Cmp(maxNoise) > 0 {
		return maxNoise
	}
	return bound
}

func pow10(n int64) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil)
}

// pow2 returns 2^n as an exact rational, also for negative n.
func pow2(n int) *big.Rat {
	if n >= 0 {
		return new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), uint(n)))
	}
	return new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), uint(-n)))
}
