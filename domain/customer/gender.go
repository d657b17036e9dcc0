package customer

import (
	"errors"
	"strconv"
	"strings"

	"github.com/txsync/txsync/domain/text"
)

// Gender is the gender a partner reports for a customer.
type Gender int8

// Genders as partners send them, by number.
const (
	GenderUnknown Gender = 0
	Male          Gender = 1
	Female        Gender = 2
)

var errGender = errors.New("must be 1 (male), 2 (female) or 0 (unknown)")

// String returns "unknown", "male" or "female".
func (g Gender) String() string {
	switch g {
	case GenderUnknown:
		return "unknown"
	case Male:
		return "male"
	case Female:
		return "female"
	}
	return "Gender(" + strconv.Itoa(int(g)) + ")"
}

// ParseGender reads a gender from the text of a JSON number or the content of a JSON string.
// After trimming, "1" and "male" mean Male, "2" and "female" mean Female, and "0",
// "unknown" and the empty string mean GenderUnknown. Words match case-insensitively in
// ASCII only, so that look-alikes such as the Kelvin sign U+212A are rejected.
func ParseGender(s string) (Gender, error) {
	word := text.Trim(s)
	if !isASCII(word) {
		return 0, errGender
	}

	switch strings.ToLower(word) {
	case "1", "male":
		return Male, nil
	case "2", "female":
		return Female, nil
	case "0", "unknown", "":
		return GenderUnknown, nil
	}
	return 0, errGender
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
