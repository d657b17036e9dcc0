package hostile_test

import (
	"testing"

	"github.com/txsync/txsync/domain/purchase"
)

// TestParseMoney_integerPathEdges checks amounts on and around the integer path for at
// most two decimals, where it meets the exact path (third decimals, noise) and the range.
func TestParseMoney_integerPathEdges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text    string
		want    purchase.Money
		wantErr bool
	}{
		{"0", 0, false},
		{"0.00", 0, false},
		{"-0", 0, false},
		{"-0.00", 0, false},
		{"-0e5", 0, false},
		{"1e2", 10000, false},
		{"1E+2", 10000, false},
		{"1.1e1", 1100, false},
		{"10.10", 1010, false},
		{"10.1000000", 1010, false},
		{"0.01", 1, false},
		{"1e-2", 1, false},
		{"100e-4", 1, false},
		{"999999999999.99", 99999999999999, false},
		{"1000000000000", 100000000000000, false},
		{"1e12", 100000000000000, false},
		{"1000000000000.00", 100000000000000, false},
		{"0.1e13", 100000000000000, false},
		{"1000000000000.01", 0, true},
		{"1e13", 0, true},
		{"10000000000000e-1", 100000000000000, false},
		{"10000000000001e-1", 0, true},
		{"14.100000000000001", 1410, false},
		{"14.105", 0, true},
		{"1.005", 0, true},
		{"-0.01", 0, true},
		{"00.5", 0, true},
		{"1.", 0, true},
		{".5", 0, true},
		{"+1", 0, true},
		{"0x10", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			got, err := purchase.ParseMoney(tt.text)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseMoney(%q) error = %v, want error %t", tt.text, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseMoney(%q) = %d fen, want %d", tt.text, got, tt.want)
			}
		})
	}
}
