package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/txsync/txsync/domain/partner"
)

// Secrets hashes client secrets with bcrypt. It implements application.SecretHasher.
type Secrets struct {
	cost      int
	dummyHash []byte
}

// NewSecrets returns a hasher of the given bcrypt cost (bcrypt.DefaultCost is 10; tests use
// bcrypt.MinCost to stay fast).
func NewSecrets(cost int) (*Secrets, error) {
	dummy, err := bcrypt.GenerateFromPassword([]byte("no client has this secret"), cost)
	if err != nil {
		return nil, fmt.Errorf("prepare secret hasher: %w", err)
	}
	return &Secrets{cost: cost, dummyHash: dummy}, nil
}

// Hash returns the bcrypt hash of secret.
func (s *Secrets) Hash(secret string) ([]byte, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), s.cost)
	if err != nil {
		return nil, fmt.Errorf("hash secret: %w", err)
	}
	return hash, nil
}

// Compare returns partner.ErrInvalidSecret unless secret matches hash. A nil hash is
// compared against a hash no secret matches, so it costs the time a real one does.
func (s *Secrets) Compare(hash []byte, secret string) error {
	if hash == nil {
		hash = s.dummyHash
		secret = "\x00" + secret
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(secret))
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return partner.ErrInvalidSecret
	}
	if err != nil {
		return fmt.Errorf("%w: %w", partner.ErrInvalidSecret, err)
	}
	return nil
}
