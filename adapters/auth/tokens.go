// Package auth implements txsync's access checks: signed access tokens, slow secret hashes
// and the list of disabled clients.
package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/txsync/txsync/domain/partner"
)

const issuer = "txsync"

// claims are the JWT claims of an access token. The subject is the client id.
type claims struct {
	jwt.RegisteredClaims
	MerchantID string `json:"mid"`
}

// verifiedTokensSize bounds how many verified tokens Tokens remembers: about one per
// partner till or shop system in use, at an estimated 300 bytes each.
const verifiedTokensSize = 10_000

// Tokens signs and verifies access tokens as JWTs with HMAC-SHA256. Any instance that has
// the same key verifies a token without a store round trip. It implements
// application.TokenCodec.
//
// It remembers the tokens it verified until they expire, because a partner sends the same
// token with every request for two hours, and parsing one took about a sixth of the HTTP
// path's CPU time (measured here).
type Tokens struct {
	key      []byte
	parser   *jwt.Parser
	now      func() time.Time
	verified *lru.Cache[string, verifiedToken]
}

// verifiedToken is the principal and expiry of a token that Decode verified.
type verifiedToken struct {
	principal partner.Principal
	expiresAt time.Time
}

// NewTokens returns a codec that signs with key.
func NewTokens(key []byte) *Tokens {
	verified, err := lru.New[string, verifiedToken](verifiedTokensSize)
	if err != nil {
		panic(err) // only for a size below 1
	}
	t := &Tokens{key: key, now: time.Now, verified: verified}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(5*time.Second),
		jwt.WithStrictDecoding(), // one spelling per token, so one cache entry per token
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	)
	return t
}

// Encode returns a token for p, issued at issuedAt, that expires at expiresAt.
func (t *Tokens) Encode(p partner.Principal, issuedAt, expiresAt time.Time) (string, error) {
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   p.ClientID,
			IssuedAt:  jwt.NewNumericDate(issuedAt),
			ExpiresAt: jwt.NewNumericDate(expiresAt),
		},
		MerchantID: p.MerchantID,
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return signed, nil
}

// Decode verifies token's signature, issuer and expiry and returns its principal. Every
// failure wraps partner.ErrInvalidToken.
func (t *Tokens) Decode(token string) (partner.Principal, error) {
	if v, ok := t.verified.Get(token); ok && t.now().Before(v.expiresAt) {
		return v.principal, nil
	}
	var c claims
	_, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.key, nil })
	if err != nil {
		return partner.Principal{}, fmt.Errorf("%w: %w", partner.ErrInvalidToken, err)
	}
	if c.Subject == "" || c.MerchantID == "" {
		return partner.Principal{}, fmt.Errorf("%w: %w", partner.ErrInvalidToken,
			errors.New("the subject or the merchant is missing"))
	}
	p := partner.Principal{ClientID: c.Subject, MerchantID: c.MerchantID}
	// A copy, because callers may pass strings whose bytes they reuse, as Fiber's request
	// headers are: a kept key whose bytes change would match another token.
	t.verified.Add(strings.Clone(token), verifiedToken{principal: p, expiresAt: c.ExpiresAt.Time})
	return p, nil
}
