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
}

// Principal is the authenticated caller of a partner request.
type Principal struct {
	ClientID   string
	MerchantID string
}

// Errors of client management and authentication.
var (
	ErrClientNotFound  = errors.New("client not found")
	ErrClientDisabled  = errors.New("client is disabled")
	ErrInvalidSecret   = errors.New("invalid client secret")
	ErrInvalidToken    = errors.New("invalid access token")
	ErrInvalidMerchant = errors.New("merchant must be 1 to 64 characters without control characters")
	ErrInvalidName     = errors.New("name must be 1 to 128 characters without control characters")
)
