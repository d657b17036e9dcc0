package retail

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Layouts of the sample's InvoiceDate and of the partner API's purchase_time.
const (
	invoiceDateLayout  = "01/02/2006 15:04:05"
	purchaseTimeLayout = "2006-01-02 15:04:05"
)

// identifierPrefix turns a CustomerID into a WeChat-style customer identifier.
const identifierPrefix = "uci-"

// wechat is the identifier_type of a WeChat openid.
const wechat = 1

// Invoice is one invoice of the sample with its rows added up.
type Invoice struct {
	// No is the InvoiceNo, such as "536365", or "C536379" for a cancellation.
	No string
	// CustomerID is the five-digit CustomerID, or "" when the rows name no customer.
	CustomerID string
	// Country is the Country of the invoice's first row.
	Country string
	// Time is the InvoiceDate of the invoice's first row. The sample gives no time zone,
	// so the wall clock time is kept in UTC and sent without an offset.
	Time time.Time
	// Cents is the sum of Quantity × UnitPrice over the rows, in hundredths.
	Cents int64
	// Rows counts the CSV rows of the invoice, exact duplicates included.
	Rows int
}

// Cancellation reports whether the invoice cancels an earlier one: its number starts
// with C.
func (inv Invoice) Cancellation() bool {
	return strings.HasPrefix(inv.No, "C")
}

// Identifier returns the customer identifier the purchase names, such as "uci-17850",
// or "" for an invoice without a customer.
func (inv Invoice) Identifier() string {
	if inv.CustomerID == "" {
		return ""
	}
	return identifierPrefix + inv.CustomerID
}

// WantAccepted reports whether txsync must record the invoice's purchase: it names a
// customer and its total is not negative.
func (inv Invoice) WantAccepted() bool {
	return inv.CustomerID != "" && inv.Cents >= 0
}

// purchaseBody is a purchase request as the partner API reads it.
type purchaseBody struct {
	TransactionID      string      `json:"transaction_id"`
	CustomerIdentifier string      `json:"customer_identifier,omitempty"`
	IdentifierType     int         `json:"identifier_type"`
	PurchaseTime       string      `json:"purchase_time"`
	PurchaseAmount     json.Number `json:"purchase_amount"`
	CustomerCountry    string      `json:"customer_country,omitempty"`
}

// Purchase returns the invoice as a purchase request body. An invoice without a customer
// has no customer_identifier, and a cancellation keeps its negative total, so txsync
// rejects both with a field error.
func (inv Invoice) Purchase() ([]byte, error) {
	body, err := json.Marshal(purchaseBody{
		TransactionID:      inv.No,
		CustomerIdentifier: inv.Identifier(),
		IdentifierType:     wechat,
		PurchaseTime:       inv.Time.Format(purchaseTimeLayout),
		PurchaseAmount:     json.Number(FormatCents(inv.Cents)),
		CustomerCountry:    inv.Country,
	})
	if err != nil {
		return nil, fmt.Errorf("encode invoice %s: %w", inv.No, err)
	}
	return body, nil
}

// WriteJSONL writes the purchase of each invoice as one line of JSON, in order, so that
// line i (counting from 1) is invoices[i-1].
func WriteJSONL(w io.Writer, invoices []Invoice) error {
	for _, inv := range invoices {
		body, err := inv.Purchase()
		if err != nil {
			return err
		}
		if _, err := w.Write(append(body, '\n')); err != nil {
			return fmt.Errorf("write invoice %s: %w", inv.No, err)
		}
	}
	return nil
}
