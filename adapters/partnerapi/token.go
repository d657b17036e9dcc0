package partnerapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrInvalidClient is returned when the token endpoint rejects the client id or secret,
// which it also does for a disabled client.
var ErrInvalidClient = errors.New("the token endpoint rejected the client credentials")

// maxExpiryMargin is how long before its announced expiry a token is renewed at the
// latest, so that a request does not reach the server with a token that expired on the way.
const maxExpiryMargin = time.Minute

// tokenSource gets access tokens with the client-credentials grant (RFC 6749 section 4.4)
// and caches one for all goroutines of a Client.
type tokenSource struct {
	client   *Client
	clientID string
	secret   string

	// lock is a mutex that a waiting goroutine can give up on when its context ends. It
	// is held while the token is read or fetched, so concurrent callers share one fetch.
	lock      chan struct{}
	token     string
	expiresAt time.Time // zero when the server announced no lifetime
}

// get returns the cached token, or fetches one when none is cached or it expired.
func (s *tokenSource) get(ctx context.Context) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()

	if s.valid() {
		return s.token, nil
	}
	return s.fetch(ctx)
}

// renew returns a new token in place of stale, which the server rejected. When another
// goroutine renewed it already, its token is returned without a second fetch.
func (s *tokenSource) renew(ctx context.Context, stale string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()

	if s.token != stale && s.valid() {
		return s.token, nil
	}
	return s.fetch(ctx)
}

func (s *tokenSource) acquire(ctx context.Context) error {
	select {
	case s.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for access token: %w", ctx.Err())
	}
}

func (s *tokenSource) release() {
	<-s.lock
}

func (s *tokenSource) valid() bool {
	return s.token != "" && (s.expiresAt.IsZero() || time.Now().Before(s.expiresAt))
}

// tokenResponse is a successful token response (RFC 6749 section 5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// oauthError is an error response of the token endpoint (RFC 6749 section 5.2).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// fetch gets a new token from the token endpoint and caches it. The caller holds lock.
func (s *tokenSource) fetch(ctx context.Context) (string, error) {
	endpoint := s.client.baseURL + tokenPath
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	r, err := s.client.send(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint,
			strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// txsync issues ids and secrets without characters that RFC 6749 would have
		// form-encoded before Basic authentication, and reads them without decoding.
		req.SetBasicAuth(s.clientID, s.secret)
		return req, nil
	})
	if err != nil {
		return "", fmt.Errorf("get access token: %w", err)
	}
	if r.status != http.StatusOK {
		return "", tokenError(r)
	}

	var tr tokenResponse
	if err := json.Unmarshal(r.body, &tr); err != nil {
		return "", fmt.Errorf("get access token: read the token response: %w", err)
	}
	if tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "bearer") {
		return "", fmt.Errorf("get access token: the response has no bearer access_token "+
			"(token_type %q)", tr.TokenType)
	}

	s.token, s.expiresAt = tr.AccessToken, time.Time{}
	if tr.ExpiresIn > 0 {
		lifetime := time.Duration(tr.ExpiresIn) * time.Second
		s.expiresAt = time.Now().Add(lifetime - min(lifetime/10, maxExpiryMargin))
	}
	return s.token, nil
}

// tokenError describes a failed token request.
func tokenError(r reply) error {
	var oe oauthError
	_ = json.Unmarshal(r.body, &oe) // a body that is no OAuth error leaves oe empty
	if r.status == http.StatusUnauthorized || oe.Error == "invalid_client" {
		return fmt.Errorf("get access token: %w (%s: %s)", ErrInvalidClient, oe.Error, oe.Description)
	}
	return fmt.Errorf("get access token: the token endpoint responded with %d (%s: %s)",
		r.status, oe.Error, oe.Description)
}
