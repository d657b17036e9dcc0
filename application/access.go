package application

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/txsync/txsync/domain/partner"
	"github.com/txsync/txsync/domain/text"
)

// TokenLifetime is how long an access token is valid.
const TokenLifetime = 2 * time.Hour

// ClientRepository stores partner clients.
type ClientRepository interface {
	Create(ctx context.Context, c partner.Client) error
	// Find returns the client with id, or ErrNotFound.
	Find(ctx context.Context, id string) (partner.Client, error)
	List(ctx context.Context) ([]partner.Client, error)
	// Disable marks the client with id disabled, or returns ErrNotFound.
	Disable(ctx context.Context, id string) error
	// SetRateLimit gives the client with id its own rate limit, or the default back when
	// limit is zero. It returns ErrNotFound for an unknown id.
	SetRateLimit(ctx context.Context, id string, limit partner.RateLimit) error
}

// SecretHasher turns client secrets into slow hashes and checks secrets against them.
type SecretHasher interface {
	Hash(secret string) ([]byte, error)
	// Compare returns partner.ErrInvalidSecret when secret does not match hash. A nil hash
	// never matches but costs as much time as a real one.
	Compare(hash []byte, secret string) error
}

// TokenCodec signs access tokens and verifies them without a store round trip.
type TokenCodec interface {
	Encode(p partner.Principal, issuedAt, expiresAt time.Time) (string, error)
	// Decode returns partner.ErrInvalidToken, wrapped, for a token that is malformed,
	// tampered with or expired.
	Decode(token string) (partner.Principal, error)
}

// DisabledClients reports whether a client was disabled, from a view that may lag the
// store by a bounded time.
type DisabledClients interface {
	IsDisabled(clientID string) bool
}

// Token is an issued access token.
type Token struct {
	Value     string
	ExpiresIn time.Duration
}

// Access manages partner clients and their access tokens.
type Access struct {
	clients  ClientRepository
	hasher   SecretHasher
	tokens   TokenCodec
	disabled DisabledClients
	clock    Clock
}

// NewAccess returns the access use cases, wired to their ports.
func NewAccess(
	clients ClientRepository,
	hasher SecretHasher,
	tokens TokenCodec,
	disabled DisabledClients,
	clock Clock,
) *Access {
	return &Access{clients: clients, hasher: hasher, tokens: tokens, disabled: disabled, clock: clock}
}

// CreateClient creates a client of merchantID and returns it with its secret, which is
// stored only as a hash and cannot be shown again.
func (a *Access) CreateClient(
	ctx context.Context,
	merchantID, name string,
) (partner.Client, string, error) {
	merchantID, err := text.Parse(merchantID, 1, 64)
	if err != nil {
		return partner.Client{}, "", partner.ErrInvalidMerchant
	}
	name, err = text.Parse(name, 1, 128)
	if err != nil {
		return partner.Client{}, "", partner.ErrInvalidName
	}

	secret := rand.Text()
	hash, err := a.hasher.Hash(secret)
	if err != nil {
		return partner.Client{}, "", fmt.Errorf("hash client secret: %w", err)
	}
	c := partner.Client{
		ID:         uuid.NewString(),
		MerchantID: merchantID,
		Name:       name,
		SecretHash: hash,
		CreatedAt:  a.clock.Now(),
	}
	if err := a.clients.Create(ctx, c); err != nil {
		return partner.Client{}, "", fmt.Errorf("create client %s: %w", c.ID, err)
	}
	return c, secret, nil
}

// ListClients returns every client.
func (a *Access) ListClients(ctx context.Context) ([]partner.Client, error) {
	return a.clients.List(ctx)
}

// DisableClient disables the client with id. Its tokens stop working on every instance
// within the refresh period of DisabledClients.
func (a *Access) DisableClient(ctx context.Context, id string) error {
	if err := a.clients.Disable(ctx, id); err != nil {
		return fmt.Errorf("disable client %s: %w", id, err)
	}
	return nil
}

// SetRateLimit gives the client with id its own rate limit, or the default back when limit
// is zero. Every instance applies it within the refresh period of its client policies.
func (a *Access) SetRateLimit(ctx context.Context, id string, limit partner.RateLimit) error {
	if !limit.IsZero() {
		if err := limit.Validate(); err != nil {
			return err
		}
	}
	if err := a.clients.SetRateLimit(ctx, id, limit); err != nil {
		return fmt.Errorf("set rate limit of client %s: %w", id, err)
	}
	return nil
}

// IssueToken checks a client's credentials and returns a new access token. An unknown
// client and a wrong secret both return partner.ErrInvalidSecret, so callers cannot probe
// for client ids.
func (a *Access) IssueToken(ctx context.Context, clientID, secret string) (Token, error) {
	c, err := a.clients.Find(ctx, clientID)
	if errors.Is(err, ErrNotFound) {
		_ = a.hasher.Compare(nil, secret) // spends the time a known client would take
		return Token{}, partner.ErrInvalidSecret
	}
	if err != nil {
		return Token{}, fmt.Errorf("load client %s: %w", clientID, err)
	}
	if err := a.hasher.Compare(c.SecretHash, secret); err != nil {
		return Token{}, err
	}
	if c.Disabled {
		return Token{}, partner.ErrClientDisabled
	}

	principal := partner.Principal{ClientID: c.ID, MerchantID: c.MerchantID}
	now := a.clock.Now()
	value, err := a.tokens.Encode(principal, now, now.Add(TokenLifetime))
	if err != nil {
		return Token{}, fmt.Errorf("sign token for client %s: %w", c.ID, err)
	}
	return Token{Value: value, ExpiresIn: TokenLifetime}, nil
}

// Authenticate returns the caller an access token belongs to. It returns
// partner.ErrInvalidToken for a bad or expired token and partner.ErrClientDisabled for a
// disabled client.
func (a *Access) Authenticate(token string) (partner.Principal, error) {
	p, err := a.tokens.Decode(token)
	if err != nil {
		return partner.Principal{}, err
	}
	if a.disabled.IsDisabled(p.ClientID) {
		return partner.Principal{}, partner.ErrClientDisabled
	}
	return p, nil
}
