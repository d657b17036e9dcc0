// Package customer holds the customers of a merchant: how a customer is identified (a
// WeChat openid, an Alipay user id or a phone number), and the profile partners report.
package customer

import (
	"strconv"
	"time"

	"github.com/google/uuid"
)

// idNamespace is the UUID namespace of customer ids. Changing it would give every existing
// customer a new id.
var idNamespace = uuid.MustParse("6f1c3b0e-5a52-4f0b-9d64-3f6a3e2b7c41")

// Customer is a person who bought from a merchant, known by one identifier.
type Customer struct {
	ID         uuid.UUID
	MerchantID string
	Identifier Identifier
	CreatedAt  time.Time
}

// New returns the customer that identifier names at merchantID, first seen at createdAt.
func New(merchantID string, identifier Identifier, createdAt time.Time) Customer {
	return Customer{
		ID:         IDOf(merchantID, identifier),
		MerchantID: merchantID,
		Identifier: identifier,
		CreatedAt:  createdAt,
	}
}

// IDOf derives the customer id of identifier at merchantID: a name-based (version 5) UUID,
// so every instance computes the same id without asking the store, and two merchants never
// share a customer.
func IDOf(merchantID string, identifier Identifier) uuid.UUID {
	name := merchantID + "\x00" + strconv.Itoa(int(identifier.Type)) + "\x00" + identifier.Value
	return uuid.NewSHA1(idNamespace, []byte(name))
}
