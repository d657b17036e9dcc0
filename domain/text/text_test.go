package text_test

import (
	"strings"
	"testing"

	"github.com/txsync/txsync/domain/text"
)

func TestTrim(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: ""},
		{name: "nothing to trim", in: "abc", want: "abc"},
		{name: "ascii spaces", in: " \t\n\v\f\rabc \t\n\v\f\r", want: "abc"},
		{name: "ideographic space", in: "\u3000中国\u3000", want: "中国"},
		{name: "no-break space", in: "\u00a0abc\u00a0", want: "abc"},
		{name: "zero width space", in: "\u200babc\u200b", want: "abc"},
		{name: "byte order mark", in: "\ufeffabc\ufeff", want: "abc"},
		{name: "repeated mix", in: " \u3000\ufeff\u00a0\u200b\t abc \u200b\u3000\u00a0 ", want: "abc"},
		{name: "inner spaces kept", in: " a \u3000 b ", want: "a \u3000 b"},
		{name: "only trimmed runes", in: " \u3000\u00a0\u200b\ufeff\n", want: ""},
		{name: "other unicode space kept", in: "\u2003abc\u0085", want: "\u2003abc\u0085"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			if got := text.Trim(tt.in); got != tt.want {
				t.Errorf("Trim(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		in      string
		minLen  int
		maxLen  int
		want    string
		wantErr string
	}{
		{name: "plain", in: "T-9", minLen: 1, maxLen: 64, want: "T-9"},
		{name: "trimmed", in: " 北京\u3000", minLen: 1, maxLen: 64, want: "北京"},
		{name: "empty allowed", in: "", minLen: 0, maxLen: 64, want: ""},
		{name: "blank allowed becomes empty", in: " \u3000 ", minLen: 0, maxLen: 64, want: ""},
		{name: "empty rejected", in: "", minLen: 1, maxLen: 64, wantErr: "must not be empty"},
		{name: "blank rejected", in: "\u200b \ufeff", minLen: 1, maxLen: 64, wantErr: "must not be empty"},
		{name: "too short", in: "ab", minLen: 3, maxLen: 64, wantErr: "must be at least 3 characters"},
		{name: "exactly min", in: "abc", minLen: 3, maxLen: 64, want: "abc"},
		{name: "exactly max in runes", in: strings.Repeat("好", 64), minLen: 1, maxLen: 64,
			want: strings.Repeat("好", 64)},
		{name: "one over max", in: strings.Repeat("好", 65), minLen: 1, maxLen: 64,
			wantErr: "must be at most 64 characters"},
		{name: "max counts after trim", in: " " + strings.Repeat("a", 64) + " ", minLen: 1,
			maxLen: 64, want: strings.Repeat("a", 64)},
		{name: "inner newline", in: "a\nb", minLen: 1, maxLen: 64,
			wantErr: "must not contain control characters"},
		{name: "inner tab", in: "a\tb", minLen: 1, maxLen: 64,
			wantErr: "must not contain control characters"},
		{name: "nul at end", in: "ab\x00", minLen: 1, maxLen: 64,
			wantErr: "must not contain control characters"},
		{name: "unit separator", in: "a\x1fb", minLen: 1, maxLen: 64,
			wantErr: "must not contain control characters"},
		{name: "delete", in: "a\x7fb", minLen: 1, maxLen: 64,
			wantErr: "must not contain control characters"},
		{name: "control beats length", in: strings.Repeat("a", 70) + "\x01", minLen: 1,
			maxLen: 64, wantErr: "must not contain control characters"},
		{name: "trailing newline trimmed", in: "abc\r\n", minLen: 1, maxLen: 64, want: "abc"},
		{name: "space and tilde allowed", in: "a ~b", minLen: 1, maxLen: 64, want: "a ~b"},
		{name: "invalid utf-8", in: "a\xffb", minLen: 1, maxLen: 64,
			wantErr: "must be valid UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := text.Parse(tt.in, tt.minLen, tt.maxLen)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error = %v, want nil", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
