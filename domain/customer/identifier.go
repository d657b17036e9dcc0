package customer

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/txsync/txsync/domain/text"
)

// IdentifierType is the kind of a customer identifier.
type IdentifierType int

// Identifier types, numbered as partners send them in identifier_type.
const (
	WeChat IdentifierType = 1 // a WeChat openid
	Alipay IdentifierType = 2 // an Alipay user id
	Phone  IdentifierType = 3 // a phone number
)

var errIdentifierType = errors.New("must be 1 (WeChat), 2 (Alipay) or 3 (phone number)")

// String returns "wechat", "alipay" or "phone".
func (t IdentifierType) String() string {
	switch t {
	case WeChat:
		return "wechat"
	case Alipay:
		return "alipay"
	case Phone:
		return "phone"
	}
	return "IdentifierType(" + strconv.Itoa(int(t)) + ")"
}

// ParseIdentifierType reads an identifier type from the text of a JSON number or the
// content of a JSON string. After trimming, only "1", "2" and "3" are accepted, with no
// sign, fraction, exponent or leading zero.
func ParseIdentifierType(s string) (IdentifierType, error) {
	switch text.Trim(s) {
	case "1":
		return WeChat, nil
	case "2":
		return Alipay, nil
	case "3":
		return Phone, nil
	}
	return 0, errIdentifierType
}

// Identifier names one customer of a merchant by type and canonical value.
type Identifier struct {
	Type IdentifierType
	// Value is a WeChat or Alipay id exactly as sent after trimming (ids are case-sensitive),
	// or a phone number in E.164 form.
	Value string
}

// NewIdentifier parses raw as an identifier of type t. The trimmed text must be 1 to 128
// characters without control characters. A phone number is normalized with NormalizePhone
// so that every way of writing it names the same customer.
func NewIdentifier(t IdentifierType, raw string) (Identifier, error) {
	value, err := text.Parse(raw, 1, 128)
	if err != nil {
		return Identifier{}, err
	}

	switch t {
	case WeChat, Alipay:
		return Identifier{Type: t, Value: value}, nil
	case Phone:
		phone, err := NormalizePhone(value)
		if err != nil {
			return Identifier{}, err
		}
		return Identifier{Type: t, Value: phone}, nil
	}
	return Identifier{}, errIdentifierType
}

// Masked returns the identifier with most of it hidden, for logs. A phone number shows its
// national number with all but the first 3 and last 4 digits starred ("135****9028").
// National numbers shorter than 11 digits keep a quarter of their digits at each end, and a
// phone value that phonenumbers cannot parse is starred completely. A WeChat or Alipay id
// shows its first 4 characters and "…", or only stars when it has 4 characters or fewer.
func (id Identifier) Masked() string {
	if id.Type == Phone {
		return maskPhone(id.Value)
	}

	if utf8.RuneCountInString(id.Value) <= 4 {
		return strings.Repeat("*", utf8.RuneCountInString(id.Value))
	}
	end := 0
	for range 4 {
		_, size := utf8.DecodeRuneInString(id.Value[end:])
		end += size
	}
	return id.Value[:end] + "…"
}

// maskPhone stars the middle of the national number of an E.164 phone number, or every
// character when phonenumbers cannot parse it.
func maskPhone(e164 string) string {
	parsed, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return strings.Repeat("*", utf8.RuneCountInString(e164))
	}

	digits := phonenumbers.GetNationalSignificantNumber(parsed)
	front, back := 3, 4
	if len(digits) < 11 {
		front, back = len(digits)/4, len(digits)/4
	}
	return digits[:front] + strings.Repeat("*", len(digits)-front-back) + digits[len(digits)-back:]
}
