package retail

// Expected counts the responses txsync must return for the sample's purchases, computed
// from the CSV alone.
type Expected struct {
	// Rows counts the data rows of the CSV.
	Rows int
	// Invoices counts the distinct InvoiceNo values, which is one purchase each.
	Invoices int
	// WithCustomer counts the invoices that name a customer.
	WithCustomer int
	// WithoutCustomer counts the invoices without a CustomerID. Their purchases carry no
	// customer_identifier, so txsync rejects them with a 400 field error on it.
	WithoutCustomer int
	// Cancellations counts the invoices whose number starts with C.
	Cancellations int
	// NegativeTotals counts the invoices whose total is negative. txsync rejects them
	// with a 400 field error on purchase_amount.
	NegativeTotals int
	// Accepted counts the invoices txsync must record: with a customer and a total that
	// is not negative.
	Accepted int
	// Rejected counts the other invoices.
	Rejected int
	// DistinctCustomers counts the distinct non-empty CustomerID values of all rows.
	DistinctCustomers int
	// CustomersCreated counts the distinct CustomerID values of the accepted invoices.
	// It is below DistinctCustomers when some customers appear only in cancellations,
	// because txsync creates a customer only with a recorded purchase.
	CustomersCreated int
}

// count computes the expected responses. customers are the CustomerID values of all rows.
func count(rows int, invoices []Invoice, customers map[string]bool) Expected {
	want := Expected{Rows: rows, Invoices: len(invoices), DistinctCustomers: len(customers)}
	created := map[string]bool{}
	for _, inv := range invoices {
		if inv.CustomerID == "" {
			want.WithoutCustomer++
		} else {
			want.WithCustomer++
		}
		if inv.Cancellation() {
			want.Cancellations++
		}
		if inv.Cents < 0 {
			want.NegativeTotals++
		}
		if inv.WantAccepted() {
			want.Accepted++
			created[inv.CustomerID] = true
		} else {
			want.Rejected++
		}
	}
	want.CustomersCreated = len(created)
	return want
}
