package httpapi

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/txsync/txsync/domain/customer"
	"github.com/txsync/txsync/domain/purchase"
	"github.com/txsync/txsync/domain/text"
)

// Field length limits, in characters after trimming.
const (
	maxTransactionIDLength = 64
	maxIdentifierLength    = 128
	maxProfileTextLength   = 64
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Reasons shared by several fields.
var (
	errRequired        = errors.New("is required")
	errNotString       = errors.New("must be a string")
	errNotNumber       = errors.New("must be a number")
	errNotStringOrInt  = errors.New("must be a string or an integer")
	errNotIntOrNumeric = errors.New("must be an integer or a string of digits")
	errNotPositive     = errors.New("must be a positive integer")
	errTooLarge        = errors.New("must be at most 9223372036854775807")
)

// members reads body as one JSON object and returns its members by name. It rejects a body
// that is not exactly one object, that is not valid UTF-8, that has a lone surrogate escape
// or that repeats a name, naming the member where there is one. A leading UTF-8 byte order
// mark is skipped.
func members(body []byte) (map[string]jsontext.Value, error) {
	return readObject(body)
}

// outerMembers reads a batch body like members, but checks only the outer object: the
// members' values are returned raw, so a broken purchase inside is reported on its own
// item rather than failing the batch.
func outerMembers(body []byte) (map[string]jsontext.Value, error) {
	return readObject(body, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

func readObject(body []byte, opts ...jsontext.Options) (map[string]jsontext.Value, error) {
	body = bytes.TrimPrefix(body, utf8BOM)
	dec := jsontext.NewDecoder(bytes.NewReader(body), opts...)

	if kind := dec.PeekKind(); kind != '{' {
		// Whatever is wrong inside a body that is no object, the body is what to fix.
		if err := dec.SkipValue(); err != nil {
			return nil, bodySyntaxError(err)
		}
		return nil, invalidBody("the request body must be a JSON object")
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, syntaxError(err)
	}

	values := make(map[string]jsontext.Value)
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return nil, syntaxError(err)
		}
		key := name.String()
		value, err := dec.ReadValue()
		if err != nil {
			return nil, syntaxError(err)
		}
		// The decoder checks repeated names itself unless opts allow them; the outer object
		// of a batch must still not repeat one.
		if _, seen := values[key]; seen {
			return nil, fieldError(cmp.Or(key, "body"), "must not appear twice")
		}
		values[key] = value.Clone()
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, syntaxError(err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, invalidBody("the request body must hold one JSON object and nothing after it")
	}
	return values, nil
}

// bodySyntaxError reports a JSON syntax error on the body as a whole.
func bodySyntaxError(err error) error {
	var syntax *jsontext.SyntacticError
	if errors.As(err, &syntax) && !errors.Is(syntax.Err, io.ErrUnexpectedEOF) {
		return invalidBody("is not valid JSON: " + syntax.Err.Error())
	}
	return invalidBody("the request body is not a complete JSON value")
}

// syntaxError turns a JSON syntax error into a field error on the member it occurred in,
// or on the body when it is outside any member.
func syntaxError(err error) error {
	var syntax *jsontext.SyntacticError
	if !errors.As(err, &syntax) {
		return invalidBody("the request body is not valid JSON")
	}
	if errors.Is(syntax.Err, io.ErrUnexpectedEOF) {
		return invalidBody("the request body ends before the JSON object is complete")
	}
	reason := "is not valid JSON: " + syntax.Err.Error()
	switch message := syntax.Err.Error(); {
	case strings.Contains(message, "duplicate"):
		reason = "must not appear twice"
	case strings.Contains(message, "UTF-8"), strings.Contains(message, "surrogate"):
		reason = "must be valid UTF-8 without lone surrogate escapes"
	}

	field := "body"
	for token := range syntax.JSONPointer.Tokens() {
		field = cmp.Or(token, field) // a member named "" is reported as the body
		break
	}
	invalid := &purchase.ValidationError{}
	invalid.Add(field, errors.New(reason))
	return invalid
}

func invalidBody(reason string) error {
	invalid := &purchase.ValidationError{}
	invalid.Add("body", errors.New(reason))
	return invalid
}

// decodePurchase reads the body of a purchase request. It returns a
// *purchase.ValidationError listing every broken field at once.
func decodePurchase(body []byte, loc *time.Location, now time.Time) (purchase.Details, error) {
	values, err := members(body)
	if err != nil {
		return purchase.Details{}, err
	}
	f := fields{values: values, invalid: &purchase.ValidationError{}}
	var d purchase.Details

	d.TransactionID = f.parse("transaction_id", true, parseTransactionID)

	typeText := f.parse("identifier_type", true, parseNumericText)
	var identifierType customer.IdentifierType
	if f.present("identifier_type") {
		identifierType = check(f, "identifier_type", typeText, customer.ParseIdentifierType)
	}
	identifier := f.parse("customer_identifier", true, parseString)
	switch {
	case !f.present("customer_identifier"):
	case f.present("identifier_type"):
		d.Customer = check(f, "customer_identifier", identifier,
			func(s string) (customer.Identifier, error) {
				return customer.NewIdentifier(identifierType, s)
			})
	default:
		// Without a valid type only the rules common to all identifiers can be checked.
		check(f, "customer_identifier", identifier, func(s string) (string, error) {
			return text.Parse(s, 1, maxIdentifierLength)
		})
	}

	timeText := f.parse("purchase_time", false, parseString)
	if f.present("purchase_time") {
		d.PurchaseTime = check(f, "purchase_time", timeText, func(s string) (time.Time, error) {
			return purchase.ParsePurchaseTime(s, loc, now)
		})
	}

	d.Amount = f.money("purchase_amount", true)
	d.CouponAmount = f.money("coupon_amount", false)
	d.WxCouponAmount = f.money("wx_coupon_amount", false)

	couponText := f.parse("coupon_detail_id", false, parseNumericText)
	if f.present("coupon_detail_id") {
		d.CouponDetailID = check(f, "coupon_detail_id", couponText, parsePositiveInt)
	}

	genderText := f.parse("gender", false, parseNumericText)
	if f.present("gender") {
		gender := check(f, "gender", genderText, customer.ParseGender)
		d.Profile.Gender = &gender
	}
	d.Profile.NickName = f.profileText("customer_nick_name")
	d.Profile.Country = f.profileText("customer_country")
	d.Profile.Province = f.profileText("customer_province")
	d.Profile.City = f.profileText("customer_city")

	if err := f.invalid.Err(); err != nil {
		return purchase.Details{}, err
	}
	return d, nil
}

// fields reads the members of one request object and collects the errors of all of them.
type fields struct {
	values  map[string]jsontext.Value
	invalid *purchase.ValidationError
}

// present reports whether the member name was sent with a value other than null. It is
// false as well when the member's value was broken, which was reported already.
func (f fields) present(name string) bool {
	v, ok := f.values[name]
	return ok && v.Kind() != 'n' && !f.failed(name)
}

func (f fields) failed(name string) bool {
	for _, e := range f.invalid.Fields {
		if e.Field == name {
			return true
		}
	}
	return false
}

// parse returns the text of member name read by read, or "" when the member is absent or
// null (an error when required) or when read rejects it.
func (f fields) parse(name string, required bool, read func(jsontext.Value) (string, error)) string {
	v, ok := f.values[name]
	if !ok || v.Kind() == 'n' {
		if required {
			f.invalid.Add(name, errRequired)
		}
		return ""
	}
	s, err := read(v)
	if err != nil {
		f.invalid.Add(name, err)
		return ""
	}
	return s
}

// check applies a domain parser to the text of member name and records its error.
func check[T any](f fields, name, s string, parse func(string) (T, error)) T {
	v, err := parse(s)
	if err != nil {
		f.invalid.Add(name, err)
	}
	return v
}

func (f fields) money(name string, required bool) purchase.Money {
	number := f.parse(name, required, parseNumber)
	if !f.present(name) {
		return 0
	}
	return check(f, name, number, purchase.ParseMoney)
}

// profileText returns a profile member, or nil when it is absent, null or empty after
// trimming: an empty value carries nothing to store, and must not erase what is stored.
func (f fields) profileText(name string) *string {
	raw := f.parse(name, false, parseString)
	if !f.present(name) {
		return nil
	}
	s, err := text.Parse(raw, 0, maxProfileTextLength)
	if err != nil {
		f.invalid.Add(name, err)
		return nil
	}
	if s == "" {
		return nil
	}
	return &s
}

func parseString(v jsontext.Value) (string, error) {
	if v.Kind() != '"' {
		return "", errNotString
	}
	return unquote(v)
}

func parseNumber(v jsontext.Value) (string, error) {
	if v.Kind() != '0' {
		return "", errNotNumber
	}
	return string(v), nil
}

// parseNumericText returns the text of a JSON number or the content of a JSON string, for
// fields that accept both (`3` and `"3"`).
func parseNumericText(v jsontext.Value) (string, error) {
	switch v.Kind() {
	case '0':
		return string(v), nil
	case '"':
		return unquote(v)
	}
	return "", errNotIntOrNumeric
}

// parseTransactionID accepts a string, or a JSON integer read as its decimal text.
func parseTransactionID(v jsontext.Value) (string, error) {
	switch v.Kind() {
	case '"':
		s, err := unquote(v)
		if err != nil {
			return "", err
		}
		return text.Parse(s, 1, maxTransactionIDLength)
	case '0':
		n, err := strconv.ParseInt(string(v), 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return "", errTooLarge
		}
		if err != nil {
			return "", errors.New("must be a string or an integer without fraction or exponent")
		}
		return strconv.FormatInt(n, 10), nil
	}
	return "", errNotStringOrInt
}

// parsePositiveInt reads a positive integer exactly, without passing through a float.
func parsePositiveInt(s string) (int64, error) {
	s = text.Trim(s)
	n, err := strconv.ParseInt(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-") {
		return 0, errTooLarge
	}
	if err != nil || n <= 0 {
		return 0, errNotPositive
	}
	return n, nil
}

func unquote(v jsontext.Value) (string, error) {
	s, err := jsontext.AppendUnquote(nil, v)
	if err != nil {
		return "", errors.New("must be a valid JSON string")
	}
	return string(s), nil
}
