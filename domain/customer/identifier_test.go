package customer_test

import (
	"strings"
	"testing"

	"github.com/txsync/txsync/domain/customer"
)

func TestParseIdentifierType(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want customer.IdentifierType
	}{
		{in: "1", want: customer.WeChat},
		{in: "2", want: customer.Alipay},
		{in: "3", want: customer.Phone},
		{in: " 3\u3000", want: customer.Phone},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()

			got, err := customer.ParseIdentifierType(tt.in)
			if err != nil {
				t.Fatalf("ParseIdentifierType(%q) error = %v, want nil", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseIdentifierType(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseIdentifierType_invalid(t *testing.T) {
	t.Parallel()

	const want = "must be 1 (WeChat), 2 (Alipay) or 3 (phone number)"
	for _, in := range []string{
		"", "0", "4", "-1", "+1", "01", "3.0", "3e0", "1E0", "３", "phone", "wechat", "1 2",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()

			got, err := customer.ParseIdentifierType(in)
			if err == nil {
				t.Fatalf("ParseIdentifierType(%q) = %v, want error %q", in, got, want)
			}
			if err.Error() != want {
				t.Errorf("ParseIdentifierType(%q) error = %q, want %q", in, err, want)
			}
		})
	}
}

func TestIdentifierType_String(t *testing.T) {
	t.Parallel()

	tests := []struct {
		typ  customer.IdentifierType
		want string
	}{
		{typ: customer.WeChat, want: "wechat"},
		{typ: customer.Alipay, want: "alipay"},
		{typ: customer.Phone, want: "phone"},
		{typ: customer.IdentifierType(9), want: "IdentifierType(9)"},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.want {
			t.Errorf("IdentifierType(%d).String() = %q, want %q", int(tt.typ), got, tt.want)
		}
	}
}

func TestNewIdentifier(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		typ  customer.IdentifierType
		raw  string
		want string
	}{
		{name: "wechat kept exactly", typ: customer.WeChat, raw: "oAbC_12-xY", want: "oAbC_12-xY"},
		{name: "wechat case differs", typ: customer.WeChat, raw: "oabc_12-xy", want: "oabc_12-xy"},
		{name: "wechat trimmed", typ: customer.WeChat, raw: "\ufeff oAbC\u3000", want: "oAbC"},
		{name: "alipay kept exactly", typ: customer.Alipay, raw: "2088102122524333",
			want: "2088102122524333"},
		{name: "alipay digits not read as phone", typ: customer.Alipay, raw: "13592619028",
			want: "13592619028"},
		{name: "phone normalized", typ: customer.Phone, raw: " 135 9261 9028 ",
			want: "+8613592619028"},
		{name: "phone full-width", typ: customer.Phone, raw: "＋８６１３５９２６１９０２８",
			want: "+8613592619028"},
		{name: "128 characters", typ: customer.WeChat, raw: strings.Repeat("微", 128),
			want: strings.Repeat("微", 128)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := customer.NewIdentifier(tt.typ, tt.raw)
			if err != nil {
				t.Fatalf("NewIdentifier(%v, %q) error = %v, want nil", tt.typ, tt.raw, err)
			}
			want := customer.Identifier{Type: tt.typ, Value: tt.want}
			if got != want {
				t.Errorf("NewIdentifier(%v, %q) = %+v, want %+v", tt.typ, tt.raw, got, want)
			}
		})
	}
}

func TestNewIdentifier_invalid(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		typ  customer.IdentifierType
		raw  string
		want string
	}{
		{name: "empty", typ: customer.WeChat, raw: "", want: "must not be empty"},
		{name: "blank", typ: customer.Alipay, raw: " \u3000\u200b", want: "must not be empty"},
		{name: "129 characters", typ: customer.WeChat, raw: strings.Repeat("a", 129),
			want: "must be at most 128 characters"},
		{name: "long phone checked before parsing", typ: customer.Phone,
			raw: strings.Repeat("1", 129), want: "must be at most 128 characters"},
		{name: "control character", typ: customer.WeChat, raw: "oAbC\x00",
			want: "must not contain control characters"},
		{name: "invalid phone", typ: customer.Phone, raw: "12025550123",
			want: "must be a valid phone number"},
		{name: "phone with letters", typ: customer.Phone, raw: "abc13592619028",
			want: "must be a valid phone number"},
		{name: "type zero", typ: 0, raw: "oAbC",
			want: "must be 1 (WeChat), 2 (Alipay) or 3 (phone number)"},
		{name: "type four", typ: 4, raw: "oAbC",
			want: "must be 1 (WeChat), 2 (Alipay) or 3 (phone number)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := customer.NewIdentifier(tt.typ, tt.raw)
			if err == nil {
				t.Fatalf("NewIdentifier(%v, %q) = %+v, want error %q", tt.typ, tt.raw, got, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("NewIdentifier(%v, %q) error = %q, want %q", tt.typ, tt.raw, err, tt.want)
			}
		})
	}
}

func TestIdentifier_Masked(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		id   customer.Identifier
		want string
	}{
		{name: "chinese mobile", id: customer.Identifier{Type: customer.Phone,
			Value: "+8613592619028"}, want: "135****9028"},
		{name: "beijing landline", id: customer.Identifier{Type: customer.Phone,
			Value: "+861012345678"}, want: "10******78"},
		{name: "united kingdom", id: customer.Identifier{Type: customer.Phone,
			Value: "+442079460958"}, want: "20******58"},
		{name: "italy with leading zero", id: customer.Identifier{Type: customer.Phone,
			Value: "+390612345678"}, want: "06******78"},
		{name: "hong kong", id: customer.Identifier{Type: customer.Phone,
			Value: "+85261234567"}, want: "61****67"},
		{name: "phone value not parseable", id: customer.Identifier{Type: customer.Phone,
			Value: "secret"}, want: "******"},
		{name: "wechat", id: customer.Identifier{Type: customer.WeChat,
			Value: "oAbCdEfGhIj"}, want: "oAbC…"},
		{name: "alipay", id: customer.Identifier{Type: customer.Alipay,
			Value: "2088102122524333"}, want: "2088…"},
		{name: "multibyte characters", id: customer.Identifier{Type: customer.WeChat,
			Value: "微信用户甲乙"}, want: "微信用户…"},
		{name: "five characters", id: customer.Identifier{Type: customer.WeChat,
			Value: "abcde"}, want: "abcd…"},
		{name: "four characters", id: customer.Identifier{Type: customer.WeChat,
			Value: "abcd"}, want: "****"},
		{name: "one character", id: customer.Identifier{Type: customer.Alipay,
			Value: "微"}, want: "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			if got := tt.id.Masked(); got != tt.want {
				t.Errorf("%+v.Masked() = %q, want %q", tt.id, got, tt.want)
			}
		})
	}
}
