package customer

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/txsync/txsync/domain/text"
)

var errPhone = errors.New("must be a valid phone number")

// NormalizePhone returns raw as an E.164 phone number such as "+8613592619028", reading
// numbers without a "+" or "00" prefix as Chinese. Full-width digits, plus signs and
// separators read as their ASCII forms. Spaces, hyphens, dots and parentheses are ignored.
// Anything else, such as letters, an extension or a second "+", makes the number invalid,
// because phonenumbers would convert letters to keypad digits or drop them unseen.
//
// An 11-digit number that starts with 1 and has no "+" is always read as a Chinese mobile
// number, never as a foreign number whose prefix it resembles, so "12025550123" is
// invalid rather than +1 202 555 0123. The result must be a valid number for its region
// according to phonenumbers.IsValidNumber.
func NormalizePhone(raw string) (string, error) {
	plus, digits, ok := phoneDigits(text.Trim(raw))
	if !ok || digits == "" {
		return "", errPhone
	}

	var number string
	switch {
	case plus:
		number = "+" + digits
	case len(digits) == 11 && digits[0] == '1':
		number = "+86" + digits
	default:
		number = digits
	}

	parsed, err := phonenumbers.Parse(number, "CN")
	if err != nil || !phonenumbers.IsValidNumber(parsed) {
		return "", errPhone
	}
	return phonenumbers.Format(parsed, phonenumbers.E164), nil
}

// phoneDigits returns the ASCII digits of s and whether a "+" leads them. It reports false
// when s contains anything but digits, one leading "+" and the separators NormalizePhone
// ignores.
func phoneDigits(s string) (plus bool, digits string, ok bool) {
	var b strings.Builder
	for _, r := range s {
		r = foldWidth(r)
		switch {
		case '0' <= r && r <= '9':
			b.WriteByte(byte(r))
		case r == '+' && !plus && b.Len() == 0:
			plus = true
		case r == ' ' || r == '\u00a0' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return false, "", false
		}
	}
	return plus, b.String(), true
}

// foldWidth maps the full-width forms of ASCII characters (U+FF01 to U+FF5E), which
// Chinese input methods type, and the ideographic space U+3000 to ASCII.
func foldWidth(r rune) rune {
	switch {
	case '\uff01' <= r && r <= '\uff5e':
		return r - 0xfee0
	case r == '\u3000':
		return ' '
	}
	return r
}
