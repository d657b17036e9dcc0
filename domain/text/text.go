// Package text trims and checks the free-text fields partners send, such as transaction ids,
// customer identifiers and profile fields.
package text

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

var (
	errInvalidUTF8 = errors.New("must be valid UTF-8 text")
	errControl     = errors.New("must not contain control characters")
	errEmpty       = errors.New("must not be empty")
)

// Trim removes leading and trailing white space: ASCII white space, the ideographic space
// U+3000, the no-break space U+00A0, and the invisible U+200B (zero width space) and U+FEFF
// (byte order mark), in any mix and number.
func Trim(s string) string {
	return strings.TrimFunc(s, isTrimmed)
}

func isTrimmed(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', '\u3000', '\u00a0', '\u200b', '\ufeff':
		return true
	}
	return false
}

// Parse trims s and returns it when it is valid UTF-8, contains no control character
// (U+0000 to U+001F and U+007F) and is between minLen and maxLen characters (runes) long.
// A minLen of 0 allows the empty string.
func Parse(s string, minLen, maxLen int) (string, error) {
	s = Trim(s)
	if !utf8.ValidString(s) {
		return "", errInvalidUTF8
	}
	if strings.ContainsFunc(s, isControl) {
		return "", errControl
	}

	n := utf8.RuneCountInString(s)
	if n == 0 && minLen > 0 {
		return "", errEmpty
	}
	if n < minLen {
		return "", fmt.Errorf("must be at least %d characters", minLen)
	}
	if n > maxLen {
		return "", fmt.Errorf("must be at most %d characters", maxLen)
	}
	return s, nil
}

func isControl(r rune) bool {
	return r <= 0x1f || r == 0x7f
}
