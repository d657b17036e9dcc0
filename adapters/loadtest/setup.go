package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// benchRateLimit is the per-second rate and the burst the load test's client gets, so
	// that txsync's rate limiter never decides a step's outcome.
	benchRateLimit = 1_000_000
	// rateLimitPoll is the interval between checks of whether the raised limit applies.
	rateLimitPoll = 250 * time.Millisecond
	// maxSetupResponseBytes caps how much of an admin or token response is read.
	maxSetupResponseBytes = 1 << 20
)

// credentials are the partner client a load test records purchases as.
type credentials struct {
	merchant string
	clientID string
	secret   string
}

// accessToken is a bearer token of the partner API and when it expires.
type accessToken struct {
	value     string
	expiresAt time.Time
	// fixed is true for Service.BearerToken, which has no known expiry and is never renewed.
	fixed bool
}

// setup talks to the admin API and the token endpoint before the load starts.
type setup struct {
	http    *http.Client
	service Service
	log     io.Writer // receives one line per phase; nil for none
}

// prepare creates the load test's client, gets its first access token and waits up to
// rateLimitWait until txsync applies the client's raised rate limit. With a bearer token
// in the service it does none of this and returns that token.
func (s setup) prepare(
	ctx context.Context,
	rateLimitWait time.Duration,
) (credentials, accessToken, error) {
	if s.service.BearerToken != "" {
		logf(s.log, "sending the given bearer token to %s; no client is created",
			s.service.PartnerURL)
		return credentials{}, accessToken{value: s.service.BearerToken, fixed: true}, nil
	}
	logf(s.log, "creating a partner client through the admin API at %s", s.service.AdminURL)
	client, err := s.createClient(ctx)
	if err != nil {
		return credentials{}, accessToken{}, err
	}
	token, err := s.requestToken(ctx, client)
	if err != nil {
		return credentials{}, accessToken{}, err
	}

	logf(s.log, "waiting up to %s for txsync to apply the rate limit of client %s",
		rateLimitWait, client.clientID)
	if err := s.waitForRateLimit(ctx, token, rateLimitWait); err != nil {
		return credentials{}, accessToken{}, err
	}
	return client, token, nil
}

// renewToken returns token when it stays valid for needed, and a new one otherwise. It
// returns an error when even a new token expires sooner.
func (s setup) renewToken(
	ctx context.Context,
	client credentials,
	token accessToken,
	needed time.Duration,
) (accessToken, error) {
	if token.fixed || time.Until(token.expiresAt) >= needed {
		return token, nil
	}
	token, err := s.requestToken(ctx, client)
	if err != nil {
		return accessToken{}, err
	}
	if lifetime := time.Until(token.expiresAt); lifetime < needed {
		return accessToken{}, fmt.Errorf("an access token must stay valid for %s, but txsync "+
			"issues tokens valid for %s: shorten the step", needed, lifetime.Round(time.Second))
	}
	return token, nil
}

// createClient creates a partner client of a new merchant through the admin API and
// raises its rate limit. The new merchant keeps the load test's customers apart from
// earlier runs, and the raised limit keeps txsync's rate limiter out of the measurement.
func (s setup) createClient(ctx context.Context) (credentials, error) {
	merchant := "bench-" + strings.ToLower(rand.Text()[:10])
	var created struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	request := map[string]string{"merchant": merchant, "name": "txsync bench"}
	err := s.admin(ctx, http.MethodPost, "/admin/clients", request, http.StatusCreated, &created)
	if err != nil {
		return credentials{}, fmt.Errorf("create a client of merchant %s: %w", merchant, err)
	}

	limit := map[string]int{"per_second": benchRateLimit, "burst": benchRateLimit}
	path := "/admin/clients/" + url.PathEscape(created.ClientID) + "/rate-limit"
	if err := s.admin(ctx, http.MethodPut, path, limit, http.StatusOK, nil); err != nil {
		return credentials{}, fmt.Errorf("raise the rate limit of client %s: %w",
			created.ClientID, err)
	}
	client := credentials{merchant: merchant, clientID: created.ClientID, secret: created.ClientSecret}
	return client, nil
}

// admin sends body as JSON to the admin API and decodes the response into out, when it
// is not nil. A status other than want is an error.
func (s setup) admin(ctx context.Context, method, path string, body any, want int, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	endpoint := strings.TrimRight(s.service.AdminURL, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, endpoint, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.service.AdminToken)
	return s.do(req, want, out)
}

// requestToken gets an access token with the OAuth 2.0 client-credentials grant.
func (s setup) requestToken(ctx context.Context, client credentials) (accessToken, error) {
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	endpoint := strings.TrimRight(s.service.PartnerURL, "/") + "/tp/oauth/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form))
	if err != nil {
		return accessToken{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client.clientID, client.secret)

	var token struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := s.do(req, http.StatusOK, &token); err != nil {
		return accessToken{}, fmt.Errorf("get an access token for client %s: %w", client.clientID, err)
	}
	if token.AccessToken == "" || token.ExpiresIn <= 0 {
		return accessToken{}, fmt.Errorf("get an access token for client %s: the response has "+
			"no access_token or no positive expires_in", client.clientID)
	}
	expiresAt := time.Now().Add(time.Duration(token.ExpiresIn) * time.Second)
	return accessToken{value: token.AccessToken, expiresAt: expiresAt}, nil
}

// waitForRateLimit returns once the partner API reports the raised limit for token, or
// an error after wait. A running txsync applies a client's new limit when it next reloads
// client policies, every TXSYNC_CLIENT_REFRESH (30 s by default). Each check is a GET of
// /tp/services/transaction without a query: txsync charges the client's bucket and sets
// the RateLimit-Limit header, then rejects the request with 400 without reading the store.
func (s setup) waitForRateLimit(ctx context.Context, token accessToken, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	endpoint := strings.TrimRight(s.service.PartnerURL, "/") + "/tp/services/transaction"
	want := strconv.Itoa(benchRateLimit)
	last := "none"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token.value)
		resp, err := s.http.Do(req)
		if err == nil {
			last = resp.Header.Get("RateLimit-Limit")
			drain(resp)
			if last == want {
				return nil
			}
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the raised rate limit: the partner API still reports "+
				"RateLimit-Limit %q after %s, want %s: %w", last, wait, want, ctx.Err())
		case <-time.After(rateLimitPoll):
		}
	}
}

// do sends req and decodes a response with status want into out, when out is not nil.
func (s setup) do(req *http.Request, want int, out any) error {
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close() // read in full below; a close error changes nothing

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSetupResponseBytes))
	if err != nil {
		return fmt.Errorf("read the %s response: %w", resp.Status, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s responded %s, want %d: %s",
			req.Method, req.URL.Path, resp.Status, want, bytes.TrimSpace(body))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("read the %s response: %w", resp.Status, err)
	}
	return nil
}

// drain reads the rest of resp's body and closes it, so its connection can be reused.
func drain(resp *http.Response) {
	// A failed read only costs the connection; the caller has what it needs.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxSetupResponseBytes))
	resp.Body.Close() // the body was read; a close error changes nothing
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
