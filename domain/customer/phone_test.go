package customer_test

import (
	"testing"

	"github.com/txsync/txsync/domain/customer"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "national mobile", in: "13592619028", want: "+8613592619028"},
		{name: "spaces", in: "135 9261 9028", want: "+8613592619028"},
		{name: "plus and hyphens", in: "+86 135-9261-9028", want: "+8613592619028"},
		{name: "international prefix 00", in: "008613592619028", want: "+8613592619028"},
		{name: "e164", in: "+8613592619028", want: "+8613592619028"},
		{name: "full-width digits", in: "１３５９２６１９０２８", want: "+8613592619028"},
		{name: "full-width plus", in: "＋８６１３５９２６１９０２８", want: "+8613592619028"},
		{name: "full-width hyphens", in: "１３５－９２６１－９０２８", want: "+8613592619028"},
		{name: "ideographic spaces", in: "135\u30009261\u30009028", want: "+8613592619028"},
		{name: "no-break spaces", in: "135\u00a09261\u00a09028", want: "+8613592619028"},
		{name: "dots", in: "135.9261.9028", want: "+8613592619028"},
		{name: "parentheses", in: "(135) 9261-9028", want: "+8613592619028"},
		{name: "plus inside parentheses", in: "(+86) 135 9261 9028", want: "+8613592619028"},
		{name: "trimmed", in: "\u3000 13592619028\ufeff", want: "+8613592619028"},
		{name: "country code without plus", in: "86 13592619028", want: "+8613592619028"},
		{name: "trunk prefix", in: "013592619028", want: "+8613592619028"},
		{name: "beijing landline", in: "010 1234 5678", want: "+861012345678"},
		{name: "beijing landline e164", in: "+86 10 1234 5678", want: "+861012345678"},
		{name: "united kingdom", in: "+44 20 7946 0958", want: "+442079460958"},
		{name: "united states", in: "+1 650-253-0000", want: "+16502530000"},
		{name: "united states with 00", in: "0016502530000", want: "+16502530000"},
		{name: "hong kong", in: "+852 6123 4567", want: "+85261234567"},
		{name: "italy keeps leading zero", in: "+39 06 1234 5678", want: "+390612345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := customer.NormalizePhone(tt.in)
			if err != nil {
				t.Fatalf("NormalizePhone(%q) error = %v, want nil", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizePhone_invalid(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
	}{
		// Read as a foreign number, these 11 digits would be +1 202 555 0123. An 11-digit
		// number starting with 1 is always read as Chinese, where it is invalid.
		{name: "11 digits like a us number", in: "12025550123"},
		{name: "11 digits like a us number with spaces", in: "1 202 555 0123"},
		{name: "11 digits unassigned", in: "11111111111"},
		{name: "10 digits", in: "1359261902"},
		{name: "12 digits", in: "135926190281"},
		{name: "service short number", in: "10086"},
		{name: "plus but no valid country", in: "+13592619028"},
		// phonenumbers drops leading letters and turns trailing ones into keypad digits.
		{name: "leading letters", in: "abc13592619028"},
		{name: "trailing letters", in: "13592619028abc"},
		{name: "vanity number", in: "1-800-FLOWERS"},
		{name: "full-width letters", in: "ａ13592619028"},
		{name: "extension word", in: "+86 135 9261 9028 ext 12"},
		{name: "extension x", in: "13592619028x123"},
		{name: "tel uri", in: "tel:+8613592619028"},
		{name: "semicolon", in: "135 9261 9028;x=1"},
		{name: "hash", in: "+86 135 9261 9028 #"},
		{name: "slash", in: "+86 135 9261 9028 / 2"},
		{name: "tab separator", in: "135\t9261\t9028"},
		{name: "second plus", in: "++8613592619028"},
		{name: "plus after digits", in: "86+13592619028"},
		{name: "arabic-indic digits", in: "١٣٥٩٢٦١٩٠٢٨"},
		{name: "empty", in: ""},
		{name: "only separators", in: " - ( ) . "},
		{name: "only plus", in: "+"},
		{name: "two numbers", in: "13592619028 13592619028"},
	}
	const want = "must be a valid phone number"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := customer.NormalizePhone(tt.in)
			if err == nil {
				t.Fatalf("NormalizePhone(%q) = %q, want error %q", tt.in, got, want)
			}
			if err.Error() != want {
				t.Errorf("NormalizePhone(%q) error = %q, want %q", tt.in, err, want)
			}
		})
	}
}
