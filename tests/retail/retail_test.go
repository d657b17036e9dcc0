package retail_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/txsync/txsync/tests/retail"
)

// TestLoadSample_counts compares the counts with figures measured on the same file with
// Python's csv module, independently of this package.
func TestLoadSample_counts(t *testing.T) {
	t.Parallel()

	sample, err := retail.LoadSample()
	if err != nil {
		t.Fatal(err)
	}

	want := retail.Expected{
		Rows:              2898,
		Invoices:          304,
		WithCustomer:      281,
		WithoutCustomer:   23,
		Cancellations:     17,
		NegativeTotals:    17,
		Accepted:          264,
		Rejected:          40,
		DistinctCustomers: 219,
		CustomersCreated:  207,
	}
	if sample.Expected != want {
		t.Errorf("Expected:\n got %+v\nwant %+v", sample.Expected, want)
	}
	if got := len(sample.Invoices); got != want.Invoices {
		t.Errorf("len(Invoices) = %d, want %d", got, want.Invoices)
	}
}

func TestLoadSample_invoices(t *testing.T) {
	t.Parallel()

	sample, err := retail.LoadSample()
	if err != nil {
		t.Fatal(err)
	}
	byNo := map[string]retail.Invoice{}
	for _, inv := range sample.Invoices {
		byNo[inv.No] = inv
	}

	tests := []struct {
		no   string
		want retail.Invoice
	}{
		{"536365", retail.Invoice{No: "536365", CustomerID: "17850", Country: "United Kingdom",
			Time: date(2010, 12, 1, 8, 26), Cents: 5764, Rows: 3}},
		{"C536379", retail.Invoice{No: "C536379", CustomerID: "14527", Country: "United Kingdom",
			Time: date(2010, 12, 1, 9, 41), Cents: -2750, Rows: 1}},
		{"C536757", retail.Invoice{No: "C536757", CustomerID: "15838", Country: "United Kingdom",
			Time: date(2010, 12, 2, 14, 23), Cents: -28080, Rows: 1}},
		{"536592", retail.Invoice{No: "536592", CustomerID: "", Country: "United Kingdom",
			Time: date(2010, 12, 1, 17, 6), Cents: 367964, Rows: 250}},
		{"536589", retail.Invoice{No: "536589", CustomerID: "", Country: "United Kingdom",
			Time: date(2010, 12, 1, 16, 50), Cents: 0, Rows: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.no, func(t *testing.T) {
			t.Parallel()

			got, ok := byNo[tt.no]
			if !ok {
				t.Fatalf("invoice %s missing", tt.no)
			}
			if got != tt.want {
				t.Errorf("invoice %s:\n got %+v\nwant %+v", tt.no, got, tt.want)
			}
		})
	}

	if first := sample.Invoices[0].No; first != "536365" {
		t.Errorf("first invoice = %s, want 536365 (the order of first rows)", first)
	}
}

func TestInvoice_Purchase(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		inv  retail.Invoice
		want string
	}{
		{
			name: "with customer",
			inv: retail.Invoice{No: "536365", CustomerID: "17850", Country: "United Kingdom",
				Time: date(2010, 12, 1, 8, 26), Cents: 5764},
			want: `{"transaction_id":"536365","customer_identifier":"uci-17850",` +
				`"identifier_type":1,"purchase_time":"2010-12-01 08:26:00",` +
				`"purchase_amount":57.64,"customer_country":"United Kingdom"}`,
		},
		{
			name: "cancellation keeps its negative total",
			inv: retail.Invoice{No: "C536379", CustomerID: "14527", Country: "EIRE",
				Time: date(2010, 12, 1, 9, 41), Cents: -2750},
			want: `{"transaction_id":"C536379","customer_identifier":"uci-14527",` +
				`"identifier_type":1,"purchase_time":"2010-12-01 09:41:00",` +
				`"purchase_amount":-27.50,"customer_country":"EIRE"}`,
		},
		{
			name: "without customer omits customer_identifier",
			inv: retail.Invoice{No: "536589", Country: "United Kingdom",
				Time: date(2010, 12, 1, 16, 50), Cents: 0},
			want: `{"transaction_id":"536589","identifier_type":1,` +
				`"purchase_time":"2010-12-01 16:50:00","purchase_amount":0.00,` +
				`"customer_country":"United Kingdom"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := tt.inv.Purchase()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Purchase():\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestWriteJSONL_oneLinePerInvoice(t *testing.T) {
	t.Parallel()

	sample, err := retail.LoadSample()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := retail.WriteJSONL(&out, sample.Invoices); err != nil {
		t.Fatal(err)
	}

	scanner := bufio.NewScanner(&out)
	i := 0
	for ; scanner.Scan(); i++ {
		var body struct {
			TransactionID string `json:"transaction_id"`
		}
		if err := json.Unmarshal(scanner.Bytes(), &body); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		if want := sample.Invoices[i].No; body.TransactionID != want {
			t.Errorf("line %d: transaction_id %q, want %q", i+1, body.TransactionID, want)
		}
	}
	if i != len(sample.Invoices) {
		t.Errorf("WriteJSONL wrote %d lines, want %d", i, len(sample.Invoices))
	}
}

const csvHeader = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

func TestLoad_quotedDescriptions(t *testing.T) {
	t.Parallel()

	text := csvHeader +
		`536365,90200A,"LETTER ""H"" BLING KEY RING",2,12/01/2010 08:26:00,1.1,17850,` +
		"United Kingdom\n" +
		`536365,22086,"PAPER CHAIN KIT, 50'S CHRISTMAS ",3,12/01/2010 08:27:00,2.55,17850,` +
		"United Kingdom\n"

	sample, err := retail.Load(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(sample.Invoices); got != 1 {
		t.Fatalf("len(Invoices) = %d, want 1", got)
	}
	inv := sample.Invoices[0]
	if inv.Cents != 2*110+3*255 {
		t.Errorf("Cents = %d, want %d", inv.Cents, 2*110+3*255)
	}
	if want := date(2010, 12, 1, 8, 26); !inv.Time.Equal(want) {
		t.Errorf("Time = %v, want the first row's %v", inv.Time, want)
	}
}

func TestLoad_rejects(t *testing.T) {
	t.Parallel()

	row := func(no, qty, date, price, customer string) string {
		return no + ",85123A,HOLDER," + qty + "," + date + "," + price + "," + customer + ",France\n"
	}
	const day = "12/01/2010 08:26:00"
	tests := []struct {
		name    string
		text    string
		wantErr string
	}{
		{"third decimal", csvHeader + row("536365", "6", day, "2.555", "17850"),
			"more than 2 decimals"},
		{"exponent price", csvHeader + row("536365", "6", day, "2e1", "17850"), "UnitPrice"},
		{"fractional quantity", csvHeader + row("536365", "1.5", day, "2.5", "17850"), "Quantity"},
		{"day first date", csvHeader + row("536365", "6", "13/01/2010 08:26:00", "2.5", "17850"),
			"InvoiceDate"},
		{"customer with .0", csvHeader + row("536365", "6", day, "2.5", "17850.0"), "CustomerID"},
		{"two customers", csvHeader + row("536365", "6", day, "2.5", "17850") +
			row("536365", "6", day, "2.5", "13047"), "names customer"},
		{"other header", "InvoiceNo,StockCode\n", "header"},
		{"short row", csvHeader + "536365,85123A\n", "wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			_, err := retail.Load(strings.NewReader(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseCents(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"2.55", 255, false},
		{"2.1", 210, false},
		{"165", 16500, false},
		{"0.03", 3, false},
		{"0", 0, false},
		{"-11062.06", -1106206, false},
		{"1.005", 0, true},
		{"14.100", 0, true},
		{"1e3", 0, true},
		{".5", 0, true},
		{"1.", 0, true},
		{"+1", 0, true},
		{" 1", 0, true},
		{"", 0, true},
		{"1234567890123456", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()

			got, err := retail.ParseCents(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseCents(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseCents(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatCents(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   int64
		want string
	}{
		{5764, "57.64"},
		{1530, "15.30"},
		{5, "0.05"},
		{0, "0.00"},
		{-2750, "-27.50"},
		{-5, "-0.05"},
		{-9223372036854775808, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()

			if got := retail.FormatCents(tt.in); got != tt.want {
				t.Errorf("FormatCents(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func date(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, time.UTC)
}
