package customer_test

import (
	"regexp"
	"testing"

	"github.com/txsync/txsync/domain/customer"
)

var (
	// e164 matches an E.164 number: a plus and at most 15 digits, the first not zero.
	e164 = regexp.MustCompile(`^\+[1-9][0-9]{0,14}$`)
	// chineseMobile matches 11 bare digits starting with 1, which are always read as a
	// Chinese mobile number.
	chineseMobile = regexp.MustCompile(`^1[0-9]{10}$`)
)

// FuzzNormalizePhone checks that every accepted phone number comes out in E.164 form, that
// normalizing the output returns it unchanged, and that 11 bare digits starting with 1
// get the Chinese country code.
func FuzzNormalizePhone(f *testing.F) {
	for _, seed := range []string{
		// Accepted.
		"13592619028", "135 9261 9028", "+86 135-9261-9028", "008613592619028",
		"+8613592619028", "１３５９２６１９０２８", "＋８６１３５９２６１９０２８",
		"１３５－９２６１－９０２８", "135\u30009261\u30009028", "135.9261.9028",
		"(135) 9261-9028", "(+86) 135 9261 9028", "\u3000 13592619028\ufeff",
		"86 13592619028", "013592619028", "010 1234 5678", "+44 20 7946 0958",
		"+1 650-253-0000", "0016502530000", "+852 6123 4567", "+39 06 1234 5678",
		// Rejected.
		"12025550123", "1 202 555 0123", "11111111111", "1359261902", "135926190281",
		"10086", "+13592619028", "abc13592619028", "1-800-FLOWERS", "ａ13592619028",
		"+86 135 9261 9028 ext 12", "13592619028x123", "tel:+8613592619028",
		"135\t9261\t9028", "++8613592619028", "86+13592619028", "١٣٥٩٢٦١٩٠٢٨", "", "+",
		" - ( ) . ", "13592619028 13592619028",
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, raw string) {
		got, err := customer.NormalizePhone(raw)
		if err != nil {
			if got != "" {
				t.Errorf("NormalizePhone(%q) = %q with error %v, want \"\" with an error", raw, got, err)
			}
			return
		}

		if !e164.MatchString(got) {
			t.Errorf("NormalizePhone(%q) = %q, want E.164: + and at most 15 digits", raw, got)
		}
		again, err := customer.NormalizePhone(got)
		if err != nil || again != got {
			t.Errorf("NormalizePhone(%q) = %q, %v, want %q unchanged", got, again, err, got)
		}
		if chineseMobile.MatchString(raw) && got != "+86"+raw {
			t.Errorf("NormalizePhone(%q) = %q, want %q", raw, got, "+86"+raw)
		}
	})
}
