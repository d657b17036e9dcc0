// Package partnerapi is a client of txsync's partner API over net/http. It gets access
// tokens with the OAuth 2.0 client-credentials grant, records purchases, retries requests
// that are safe to retry, and replays a file of purchases with bounded concurrency.
package partnerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Paths of the partner API, relative to its base URL.
const (
	tokenPath       = "/tp/oauth/token"
	transactionPath = "/tp/services/transaction"
)

// defaultTimeout bounds one HTTP request when New gets no *http.Client.
const defaultTimeout = 30 * time.Second

// Client records purchases for one partner client. It is safe for concurrent use: all
// goroutines share one cached access token.
type Client struct {
	baseURL string
	http    *http.Client
	retry   RetryPolicy
	tokens  tokenSource
}

// Option changes a Client that New builds.
type Option func(*Client)

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(policy RetryPolicy) Option {
	return func(c *Client) { c.retry = policy }
}

// New returns a client of the partner API at baseURL (such as http://127.0.0.1:8080)
// that authenticates as clientID with secret. A nil httpClient means a client with a
// 30 s timeout per request.
func New(baseURL, clientID, secret string, httpClient *http.Client, opts ...Option) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: defaultTimeout}
	}
	c := &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		http:    httpClient,
		retry:   DefaultRetryPolicy,
	}
	c.tokens = tokenSource{
		client:   c,
		clientID: clientID,
		secret:   secret,
		lock:     make(chan struct{}, 1),
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Result is the result object of a recorded purchase.
type Result struct {
	// TransactionID is the platform's id of the purchase.
	TransactionID int64 `json:"transaction_id"`
	// CustomerID is the UUID of the customer the purchase belongs to.
	CustomerID string `json:"customer_id"`
	// Replayed is true when the purchase had been recorded before with the same content.
	Replayed bool `json:"replayed"`
}

// FieldError is one broken rule of one request field, as the partner API names it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Response is the partner API's final response to one purchase request.
type Response struct {
	// Status is the HTTP status of the last attempt.
	Status int
	// Message is the status message of the response envelope, such as "invalid request".
	Message string
	// Result is the recorded purchase. It is set only when Status is 200.
	Result Result
	// Errors lists the broken field rules of a 400 or the differing fields of a 409.
	Errors []FieldError
	// RequestID is the X-Request-Id of the last attempt, for reports to operators.
	RequestID string
	// Attempts counts the HTTP requests sent, including retries and the resend after a
	// token renewal.
	Attempts int
}

// envelope is the body of every partner API response.
type envelope struct {
	Status struct {
		Message string `json:"message"`
	} `json:"status"`
	Result *Result      `json:"result"`
	Errors []FieldError `json:"errors"`
}

// Authenticate gets an access token unless one is cached and still valid. Record does
// the same on its first call; Authenticate lets a caller check the credentials first.
// It returns an error wrapping ErrInvalidClient when the token endpoint rejects them.
func (c *Client) Authenticate(ctx context.Context) error {
	_, err := c.tokens.get(ctx)
	return err
}

// Record posts body, one purchase as JSON, and returns the response. body is sent as it
// is, so the server decides whether it is valid. A 401 makes the client get a new
// token and send body once more. Record returns an error only when it got no final
// response: the server was unreachable after all retries (ErrUnreachable), the token
// endpoint rejected the credentials (ErrInvalidClient), ctx ended, or a 200 response
// could not be read.
func (c *Client) Record(ctx context.Context, body []byte) (Response, error) {
	token, err := c.tokens.get(ctx)
	if err != nil {
		return Response{}, err
	}
	resp, err := c.post(ctx, token, body)
	if err != nil || resp.Status != http.StatusUnauthorized {
		return resp, err
	}

	attempts := resp.Attempts
	token, err = c.tokens.renew(ctx, token)
	if err != nil {
		return Response{}, err
	}
	resp, err = c.post(ctx, token, body)
	resp.Attempts += attempts
	return resp, err
}

// post sends body to the transaction endpoint with token, retrying as the policy allows.
func (c *Client) post(ctx context.Context, token string, body []byte) (Response, error) {
	endpoint := c.baseURL + transactionPath
	r, err := c.send(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint,
			bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return req, nil
	})
	if err != nil {
		return Response{}, fmt.Errorf("post purchase: %w", err)
	}

	resp := Response{
		Status:    r.status,
		RequestID: r.header.Get("X-Request-Id"),
		Attempts:  r.attempts,
	}
	var env envelope
	decodeErr := json.Unmarshal(r.body, &env)
	if r.status != http.StatusOK {
		// A body that is no envelope, such as a proxy's error page, still has a status.
		resp.Message, resp.Errors = env.Status.Message, env.Errors
		return resp, nil
	}
	if decodeErr == nil && (env.Result == nil || env.Result.TransactionID <= 0) {
		decodeErr = errNoResult
	}
	if decodeErr != nil {
		return resp, fmt.Errorf("post purchase: read the 200 response of request %s: %w",
			resp.RequestID, decodeErr)
	}
	resp.Message, resp.Result = env.Status.Message, *env.Result
	return resp, nil
}

// errNoResult is returned for a 200 response without a usable result.
var errNoResult = errors.New("result.transaction_id is missing or not positive")
