// Package partner holds the partner clients that send purchases, and the merchants they
// belong to.
package partner

import (
	"errors"
	"time"
)

// Client is one partner system (a till network, a web shop) allowed to record purchases for
// exactly one merchant.
type Client struct {
	ID         string
	MerchantID string
	Name       string
	SecretHash []byte
	Disabled   bool
	CreatedAt  time.Time
	// RateLimit is the client's own request rate limit; zero means the default applies.
	RateLimit RateLimit
}

// RateLimit is a token bucket: PerSecond units flow in each second, up to Burst. A
// request costs one unit, a batch one per purchase.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// IsZero reports whether no limit is set.
func (r RateLimit) IsZero() bool {
	return r == RateLimit{}
}

// Validate checks that the limit lets requests through: a positive rate and a burst of at
// least one.
func (r RateLimit) Validate() error {
	if r.PerSecond <= 0 || r.Burst < 1 {
		return ErrInvalidRateLimit
	}
	return nil
}

// Principal is the authenticated caller of a partner request.
type Principal struct {
	ClientID   string
	MerchantID string
}

// Errors of client management and authentication.
var (
	ErrClientDisabled   = errors.New("client is disabled")
	ErrInvalidSecret    = errors.New("invalid client secret")
	ErrInvalidToken     = errors.New("invalid access token")
	ErrInvalidMerchant  = errors.New("merchant must be 1 to 64 characters without control characters")
	ErrInvalidName      = errors.New("name must be 1 to 128 characters without control characters")
	ErrInvalidRateLimit = errors.New("rate limit needs per_second above 0 and burst of at least 1")
)
