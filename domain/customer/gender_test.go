package customer_test

import (
	"testing"

	"github.com/txsync/txsync/domain/customer"
)

func TestParseGender(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want customer.Gender
	}{
		{in: "1", want: customer.Male},
		{in: "male", want: customer.Male},
		{in: "MALE", want: customer.Male},
		{in: " Male\u3000", want: customer.Male},
		{in: "2", want: customer.Female},
		{in: "female", want: customer.Female},
		{in: "FeMale", want: customer.Female},
		{in: "0", want: customer.GenderUnknown},
		{in: "unknown", want: customer.GenderUnknown},
		{in: "Unknown", want: customer.GenderUnknown},
		{in: "", want: customer.GenderUnknown},
		{in: " \u00a0", want: customer.GenderUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()

			got, err := customer.ParseGender(tt.in)
			if err != nil {
				t.Fatalf("ParseGender(%q) error = %v, want nil", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseGender(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseGender_invalid(t *testing.T) {
	t.Parallel()

	const want = "must be 1 (male), 2 (female) or 0 (unknown)"
	for _, in := range []string{
		"3", "-1", "01", "1.0", "1e0", "+1", "m", "f", "man", "woman", "males",
		"un\u212anown", // Kelvin sign, which Unicode case folding equates with k
		"ｍａｌｅ", "１", "null", "true", "male female",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()

			got, err := customer.ParseGender(in)
			if err == nil {
				t.Fatalf("ParseGender(%q) = %v, want error %q", in, got, want)
			}
			if err.Error() != want {
				t.Errorf("ParseGender(%q) error = %q, want %q", in, err, want)
			}
		})
	}
}

func TestGender_String(t *testing.T) {
	t.Parallel()

	tests := []struct {
		gender customer.Gender
		want   string
	}{
		{gender: customer.GenderUnknown, want: "unknown"},
		{gender: customer.Male, want: "male"},
		{gender: customer.Female, want: "female"},
		{gender: customer.Gender(7), want: "Gender(7)"},
	}
	for _, tt := range tests {
		if got := tt.gender.String(); got != tt.want {
			t.Errorf("Gender(%d).String() = %q, want %q", int(tt.gender), got, tt.want)
		}
	}
}
