package text_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/txsync/txsync/domain/text"
)

// isControl reports whether r is a control character as the partner API defines it:
// U+0000 to U+001F and U+007F.
func isControl(r rune) bool {
	return r <= 0x1f || r == 0x7f
}

// FuzzParse checks that Parse returns exactly the trimmed input when that is valid UTF-8,
// has no control character and has between minLen and maxLen runes, and rejects it
// otherwise. The length bounds are taken modulo 100 and 200.
func FuzzParse(f *testing.F) {
	for _, seed := range []struct {
		s              string
		minLen, maxLen int
	}{
		{"T-9", 1, 64},
		{" 北京\u3000", 1, 64},
		{"", 0, 64},
		{" \u3000 ", 0, 64},
		{"", 1, 64},
		{"\u200b \ufeff", 1, 64},
		{"ab", 3, 64},
		{"abc", 3, 64},
		{strings.Repeat("好", 64), 1, 64},
		{strings.Repeat("好", 65), 1, 64},
		{" " + strings.Repeat("a", 64) + " ", 1, 64},
		{"a\nb", 1, 64},
		{"ab\x00", 1, 64},
		{"a\x7fb", 1, 64},
		{strings.Repeat("a", 70) + "\x01", 1, 64},
		{"abc\r\n", 1, 64},
		{"a\xffb", 1, 64},
		{"\xff", 0, 64},
		{"\u2003abc\u0085", 1, 128},
		{" \u3000\ufeff\u00a0\u200b\t abc \u200b\u3000\u00a0 ", 1, 128},
	} {
		f.Add(seed.s, seed.minLen, seed.maxLen)
	}

	f.Fuzz(func(t *testing.T, s string, minLen, maxLen int) {
		minLen = int(uint(minLen) % 100)
		maxLen = int(uint(maxLen) % 200)
		trimmed := text.Trim(s)
		runes := utf8.RuneCountInString(trimmed)
		valid := utf8.ValidString(trimmed) &&
			!strings.ContainsFunc(trimmed, isControl) &&
			minLen <= runes && runes <= maxLen

		got, err := text.Parse(s, minLen, maxLen)
		if !valid {
			if err == nil {
				t.Errorf("Parse(%q, %d, %d) = %q, want an error", s, minLen, maxLen, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("Parse(%q, %d, %d) error = %v, want %q", s, minLen, maxLen, err, trimmed)
		}
		if got != trimmed {
			t.Errorf("Parse(%q, %d, %d) = %q, want %q", s, minLen, maxLen, got, trimmed)
		}
		if text.Trim(got) != got {
			t.Errorf("Parse(%q, %d, %d) = %q, which is not trimmed", s, minLen, maxLen, got)
		}
		if i := strings.IndexFunc(got, isControl); i >= 0 {
			t.Errorf("Parse(%q, %d, %d) = %q, with a control character at byte %d",
				s, minLen, maxLen, got, i)
		}
		if n := utf8.RuneCountInString(got); n < minLen || n > maxLen {
			t.Errorf("Parse(%q, %d, %d) = %q, %d runes, want %d to %d",
				s, minLen, maxLen, got, n, minLen, maxLen)
		}
	})
}
