// Package retail turns a slice of the UCI "Online Retail" data set (Daqing Chen, CC BY
// 4.0) into partner API purchases, one per invoice, and counts from the CSV alone the
// responses txsync must return for them. The end-to-end tests replay these purchases.
//
// Each invoice becomes one purchase:
//   - transaction_id is the InvoiceNo;
//   - customer_identifier is the CustomerID as a WeChat-style id ("uci-17850", with
//     identifier_type 1);
//   - purchase_time is the invoice's first InvoiceDate, as yyyy-mm-dd HH:mm:ss;
//   - purchase_amount is the sum of Quantity × UnitPrice, added up exactly in hundredths
//     and written with two decimals;
//   - customer_country is the invoice's first Country.
//
// An invoice without a CustomerID is sent without customer_identifier, so txsync must
// reject it with a 400 field error on that field. A cancellation (InvoiceNo starting with
// C) keeps its negative total, so txsync must reject it with a 400 field error on
// purchase_amount. Exact duplicate rows are counted as the separate lines they are.
package retail

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// sampleFromModuleRoot is where the sample lies, relative to the module root.
var sampleFromModuleRoot = filepath.Join("..", "shared", "data", "online-retail-sample.csv")

// header is the sample's first row.
var header = []string{
	"InvoiceNo", "StockCode", "Description", "Quantity",
	"InvoiceDate", "UnitPrice", "CustomerID", "Country",
}

// Column indexes in header.
const (
	colInvoiceNo   = 0
	colQuantity    = 3
	colInvoiceDate = 4
	colUnitPrice   = 5
	colCustomerID  = 6
	colCountry     = 7
)

// Sample is the data set read into invoices.
type Sample struct {
	// Invoices are in the order of their first row.
	Invoices []Invoice
	// Expected counts the responses txsync must return for the invoices' purchases.
	Expected Expected
}

// SamplePath returns the sample's path: ../shared/data/online-retail-sample.csv from the
// module root, the nearest folder above the working directory that holds go.mod.
func SamplePath() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("locate retail sample: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, sampleFromModuleRoot), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("locate retail sample: no go.mod above the working directory")
		}
		dir = parent
	}
}

// LoadSample reads the sample at SamplePath. It fails with the path it tried when the
// file is missing.
func LoadSample() (Sample, error) {
	path, err := SamplePath()
	if err != nil {
		return Sample{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Sample{}, fmt.Errorf("open retail sample (expected at <module root>/%s): %w",
			sampleFromModuleRoot, err)
	}
	defer f.Close() // read only; a close error changes nothing

	sample, err := Load(f)
	if err != nil {
		return Sample{}, fmt.Errorf("read %s: %w", path, err)
	}
	return sample, nil
}

// Load reads a CSV with the sample's header into invoices. It fails on a malformed row,
// a price with more than two decimals, and an invoice whose rows name different
// customers.
func Load(r io.Reader) (Sample, error) {
	reader := csv.NewReader(r)
	reader.ReuseRecord = true
	first, err := reader.Read()
	if err != nil {
		return Sample{}, fmt.Errorf("read header: %w", err)
	}
	if !slices.Equal(first, header) {
		return Sample{}, fmt.Errorf("header is %q, want %q", first, header)
	}

	invoices := map[string]*Invoice{}
	var order []string
	customers := map[string]bool{}
	rows := 0
	for {
		record, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Sample{}, err
		}
		rows++
		line, _ := reader.FieldPos(0)
		if err := addRow(invoices, &order, record); err != nil {
			return Sample{}, fmt.Errorf("line %d: %w", line, err)
		}
		if id := record[colCustomerID]; id != "" {
			customers[id] = true
		}
	}

	list := make([]Invoice, len(order))
	for i, no := range order {
		list[i] = *invoices[no]
	}
	return Sample{Invoices: list, Expected: count(rows, list, customers)}, nil
}

// addRow adds one CSV record to its invoice, creating the invoice on its first row.
func addRow(invoices map[string]*Invoice, order *[]string, record []string) error {
	no, customerID := record[colInvoiceNo], record[colCustomerID]
	if no == "" {
		return errors.New("InvoiceNo is empty")
	}
	if customerID != "" && !allDigits(customerID) {
		return fmt.Errorf("CustomerID %q is not a number", customerID)
	}
	quantity, err := strconv.ParseInt(record[colQuantity], 10, 64)
	if err != nil {
		return fmt.Errorf("Quantity: %w", err)
	}
	price, err := ParseCents(record[colUnitPrice])
	if err != nil {
		return fmt.Errorf("UnitPrice: %w", err)
	}
	lineCents, err := multiplyCents(quantity, price)
	if err != nil {
		return fmt.Errorf("Quantity × UnitPrice: %w", err)
	}
	date, err := time.Parse(invoiceDateLayout, record[colInvoiceDate])
	if err != nil {
		return fmt.Errorf("InvoiceDate: %w", err)
	}

	inv, seen := invoices[no]
	if !seen {
		inv = &Invoice{No: no, CustomerID: customerID, Country: record[colCountry], Time: date}
		invoices[no] = inv
		*order = append(*order, no)
	}
	if customerID != inv.CustomerID {
		return fmt.Errorf("invoice %s names customer %q here and %q on its first row",
			no, customerID, inv.CustomerID)
	}
	inv.Cents, err = addCents(inv.Cents, lineCents)
	if err != nil {
		return fmt.Errorf("total of invoice %s: %w", no, err)
	}
	inv.Rows++
	return nil
}
