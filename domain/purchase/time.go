package purchase

import (
	"errors"
	"time"

	"github.com/txsync/txsync/domain/text"
)

// localLayout is the layout of purchase times without an offset, which are read in the
// merchant's time zone.
const localLayout = "2006-01-02 15:04:05"

// maxFuture is how far after the request's arrival a purchase time may lie.
const maxFuture = 24 * time.Hour

var (
	errTimeFormat = errors.New(
		"must be a time formatted as yyyy-mm-dd HH:mm:ss or RFC 3339 with an offset")
	errTimeFuture = errors.New("must not be more than 24 hours in the future")
	errTimeEarly  = errors.New("must not be before 2000-01-01")
)

// ParsePurchaseTime reads a purchase time and returns it in UTC. The trimmed text is either
// "yyyy-mm-dd HH:mm:ss" exactly, read in loc (UTC when loc is nil), or RFC 3339 with a "Z" or
// numeric offset, whose fractional seconds are truncated to milliseconds. A leap second
// (second 60) is rejected. The time must not be more than 24 hours after now, nor before
// 2000-01-01 00:00:00 in loc.
func ParsePurchaseTime(s string, loc *time.Location, now time.Time) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}

	s = text.Trim(s)
	var t time.Time
	var err error
	switch {
	case matchesShape(s, "dddd-dd-dd dd:dd:dd"):
		t, err = time.ParseInLocation(localLayout, s, loc)
	case isRFC3339(s):
		t, err = time.Parse(time.RFC3339Nano, upperRFC3339(s))
	default:
		err = errTimeFormat
	}
	// time.Parse checks the ranges of the fields, rejecting second 60 and 30 February.
	if err != nil {
		return time.Time{}, errTimeFormat
	}
	t = t.Truncate(time.Millisecond)

	if t.After(now.Add(maxFuture)) {
		return time.Time{}, errTimeFuture
	}
	if t.Before(time.Date(2000, time.January, 1, 0, 0, 0, 0, loc)) {
		return time.Time{}, errTimeEarly
	}
	return t.UTC(), nil
}

// isRFC3339 reports whether s has the shape of an RFC 3339 date-time. That is
// "yyyy-mm-ddTHH:MM:SS", then optional fractional seconds (a dot and at least one digit),
// then "Z" or an offset "+HH:MM" or "-HH:MM" with an hour up to 23 and a minute up to 59.
// Both "T" and "Z" may be lowercase. The check is needed because time.Parse alone accepts
// more, such as a comma before the fraction or an offset of +24:00. The ranges of the
// date and time fields are left to time.Parse.
func isRFC3339(s string) bool {
	const dateTime = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(dateTime) || !matchesShape(upperRFC3339(s[:len(dateTime)]), dateTime) {
		return false
	}

	rest := s[len(dateTime):]
	if len(rest) > 0 && rest[0] == '.' {
		digits := 1
		for digits < len(rest) && isDigit(rest[digits]) {
			digits++
		}
		if digits == 1 {
			return false
		}
		rest = rest[digits:]
	}

	if rest == "Z" || rest == "z" {
		return true
	}
	if !matchesShape(rest, "+dd:dd") && !matchesShape(rest, "-dd:dd") {
		return false
	}
	hour := int(rest[1]-'0')*10 + int(rest[2]-'0')
	minute := int(rest[4]-'0')*10 + int(rest[5]-'0')
	return hour <= 23 && minute <= 59
}

// upperRFC3339 uppercases the "t" and "z" that RFC 3339 allows in lowercase, which
// time.Parse does not accept.
func upperRFC3339(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 't' || c == 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// matchesShape reports whether s has the same length as shape and matches it byte by byte.
// A 'd' in shape stands for any ASCII digit and every other byte for itself.
func matchesShape(s, shape string) bool {
	if len(s) != len(shape) {
		return false
	}
	for i := range len(shape) {
		if shape[i] == 'd' && !isDigit(s[i]) || shape[i] != 'd' && s[i] != shape[i] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool {
	return '0' <= c && c <= '9'
}
