package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/txsync/txsync/adapters/auth"
	"github.com/txsync/txsync/domain/partner"
)

func TestTokens_roundTrip(t *testing.T) {
	t.Parallel()
	tokens := auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"))
	want := partner.Principal{ClientID: "client-1", MerchantID: "m1"}
	now := time.Now()

	token, err := tokens.Encode(want, now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tokens.Decode(token)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got != want {
		t.Errorf("principal = %+v, want %+v", got, want)
	}
}

func TestTokens_rejects(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	tokens := auth.NewTokens(key)
	p := partner.Principal{ClientID: "client-1", MerchantID: "m1"}
	now := time.Now()
	valid, err := tokens.Encode(p, now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := tokens.Encode(p, now.Add(-3*time.Hour), now.Add(-time.Hour))
	otherKey, _ := auth.NewTokens([]byte("another key, another instance...")).Encode(p, now, now.Add(time.Hour))
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
		"iss": "txsync", "sub": "client-1", "mid": "m1", "exp": now.Add(time.Hour).Unix(),
	}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	noMerchant, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "txsync", "sub": "client-1", "exp": now.Add(time.Hour).Unix(),
	}).SignedString(key)
	noExpiry, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "txsync", "sub": "client-1", "mid": "m1",
	}).SignedString(key)

	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + strings.TrimRight(parts[1], "A") + "A." + parts[2]
	// The signature's last character carries two unused bits: flipping one gives another
	// spelling of the same signature bytes, which strict decoding rejects.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, parts[2][len(parts[2])-1])
	respelled := parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + string(alphabet[last^1])

	tests := map[string]string{
		"expired":             expired,
		"signed by another":   otherKey,
		"alg none":            unsigned,
		"no merchant":         noMerchant,
		"no expiry":           noExpiry,
		"tampered claims":     tampered,
		"respelled signature": respelled,
		"garbage":             "not.a.token",
		"empty":               "",
	}
	for name, token := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := tokens.Decode(token)
			if !errors.Is(err, partner.ErrInvalidToken) {
				t.Errorf("err = %v, want ErrInvalidToken", err)
			}
		})
	}
}

func TestSecrets_compare(t *testing.T) {
	t.Parallel()
	secrets, err := auth.NewSecrets(4)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := secrets.Hash("s3cret")
	if err != nil {
		t.Fatal(err)
	}

	if err := secrets.Compare(hash, "s3cret"); err != nil {
		t.Errorf("right secret: err = %v, want nil", err)
	}
	if err := secrets.Compare(hash, "wrong"); !errors.Is(err, partner.ErrInvalidSecret) {
		t.Errorf("wrong secret: err = %v, want ErrInvalidSecret", err)
	}
	if err := secrets.Compare(nil, "no client has this secret"); !errors.Is(err, partner.ErrInvalidSecret) {
		t.Errorf("nil hash: err = %v, want ErrInvalidSecret", err)
	}
	if strings.Contains(string(hash), "s3cret") {
		t.Errorf("hash contains the secret")
	}
}

// TestTokens_verifiedTokenExpires checks that a token Decode accepted, and so remembers,
// is rejected once its expiry and the leeway have passed.
func TestTokens_verifiedTokenExpires(t *testing.T) {
	t.Parallel()
	tokens := auth.NewTokens([]byte("a key of thirty-two bytes or so.."))
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	clock := now
	auth.SetNow(tokens, func() time.Time { return clock })
	p := partner.Principal{ClientID: "client-1", MerchantID: "m1"}
	token, err := tokens.Encode(p, now, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	for _, at := range []time.Duration{0, time.Minute, time.Hour + 4*time.Second} {
		clock = now.Add(at)
		if got, err := tokens.Decode(token); err != nil || got != p {
			t.Errorf("decode at +%s: %+v, %v; want %+v", at, got, err, p)
		}
	}
	clock = now.Add(time.Hour + 6*time.Second)
	if _, err := tokens.Decode(token); !errors.Is(err, partner.ErrInvalidToken) {
		t.Errorf("decode past expiry and leeway: %v, want ErrInvalidToken", err)
	}
}
