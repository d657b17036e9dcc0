package customer_test

import (
	"testing"

	"github.com/txsync/txsync/domain/customer"
)

func TestIDOf(t *testing.T) {
	t.Parallel()
	phone := customer.Identifier{Type: customer.Phone, Value: "+8613592619028"}
	wechat := customer.Identifier{Type: customer.WeChat, Value: "+8613592619028"}

	if customer.IDOf("m1", phone) != customer.IDOf("m1", phone) {
		t.Errorf("IDOf is not deterministic")
	}
	if customer.IDOf("m1", phone) == customer.IDOf("m2", phone) {
		t.Errorf("two merchants share customer id %s", customer.IDOf("m1", phone))
	}
	if customer.IDOf("m1", phone) == customer.IDOf("m1", wechat) {
		t.Errorf("one value of two identifier types gives one customer")
	}
	// The separator keeps ("m1", "x") and ("m", "1x") apart.
	a := customer.IDOf("ab", customer.Identifier{Type: customer.WeChat, Value: "c"})
	b := customer.IDOf("a", customer.Identifier{Type: customer.WeChat, Value: "bc"})
	if a == b {
		t.Errorf("merchant and value boundaries collide")
	}
	if v := customer.IDOf("m1", phone).Version(); v != 5 {
		t.Errorf("version = %d, want 5 (name-based)", v)
	}
}
