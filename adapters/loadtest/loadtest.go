// Package loadtest drives an open-loop load of purchases against a txsync on loopback
// with vegeta (github.com/tsenart/vegeta/v12) and reports, per step of offered load, the
// throughput in purchases per second, vegeta's latency percentiles and the outcomes by
// HTTP status. It can write the report as text or JSON and plot latency against load.
//
// It sends traffic only to loopback addresses: URLs are checked before a run, and every
// connection it dials is checked again after name resolution.
package loadtest

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Endpoint is the partner API endpoint a load test posts purchases to.
type Endpoint string

// Endpoints of the partner API.
const (
	// EndpointSingle posts one purchase per request to /tp/services/transaction.
	EndpointSingle Endpoint = "single"
	// EndpointBatch posts BatchSize purchases per request to /tp/services/transactions.
	EndpointBatch Endpoint = "batch"
)

// MaxBatchSize is the largest batch the partner API accepts in one request.
const MaxBatchSize = 500

// path returns the endpoint's path relative to the partner API's base URL.
func (e Endpoint) path() string {
	if e == EndpointBatch {
		return "/tp/services/transactions"
	}
	return "/tp/services/transaction"
}

// Service is a running txsync, or another HTTP server, that a load test targets. Every
// URL must be on loopback.
type Service struct {
	// PartnerURL is the base URL of the partner API, such as http://127.0.0.1:8080.
	PartnerURL string
	// AdminURL is the base URL of the admin API, such as http://127.0.0.1:8081. It stays
	// empty with BearerToken.
	AdminURL string
	// AdminToken is the bearer token of the admin API. It stays empty with BearerToken.
	AdminToken string
	// BearerToken, when set, is sent with every purchase, and Run skips its setup: it
	// creates no client, requests no token and raises no rate limit. It serves targets
	// without an admin API, such as a bare echo server.
	BearerToken string
}

// Config is one load test: a partner client of its own, then one vegeta attack per rate.
type Config struct {
	Service Service
	// Target names the system under load in the report, such as txsync or echo.
	Target   string
	Endpoint Endpoint
	// BatchSize is the number of purchases per request of EndpointBatch, 1 to MaxBatchSize.
	// EndpointSingle ignores it.
	BatchSize int
	// Rates lists the offered load of each step in requests per second, in order.
	Rates []int
	// StepDuration is how long vegeta sends requests in each step. Responses still in
	// flight at its end are awaited up to Timeout.
	StepDuration time.Duration
	Mix          Mix
	// Seed makes the sequence of purchase kinds and values reproducible.
	Seed uint64
	// StatusOnly counts every purchase of a request with status 200 as succeeded without
	// reading the response, for targets that do not send txsync's responses, such as an
	// echo server. A single purchase still counts as replayed by its Idempotent-Replayed
	// header.
	StatusOnly bool
	// Workers and MaxWorkers are vegeta's initial and maximum number of workers. A
	// MaxWorkers of 0 leaves vegeta's default, which is no maximum.
	Workers    uint64
	MaxWorkers uint64
	// Timeout bounds one HTTP request, the response body included.
	Timeout time.Duration
	// RateLimitWait bounds the wait until the service applies the client's raised rate
	// limit, which a running txsync reloads every TXSYNC_CLIENT_REFRESH.
	RateLimitWait time.Duration
	// Progress, when set, receives the running totals after each response. It is called
	// from one goroutine at a time.
	Progress func(Progress)
	// Log, when set, receives one line per setup phase, such as the wait for the rate limit.
	Log io.Writer
}

// batchSize returns the number of purchases in each request.
func (c Config) batchSize() int {
	if c.Endpoint == EndpointBatch {
		return c.BatchSize
	}
	return 1
}

// Validate returns every invalid setting of s at once. It sends nothing.
func (s Service) Validate() error {
	var errs []error
	if err := CheckLoopbackURL(s.PartnerURL); err != nil {
		errs = append(errs, fmt.Errorf("partner API URL: %w", err))
	}
	if s.BearerToken != "" {
		if s.AdminURL != "" || s.AdminToken != "" {
			errs = append(errs, errors.New("a bearer token replaces the admin API: "+
				"leave the admin API URL and token empty"))
		}
		return errors.Join(errs...)
	}
	if err := CheckLoopbackURL(s.AdminURL); err != nil {
		errs = append(errs, fmt.Errorf("admin API URL: %w", err))
	}
	if s.AdminToken == "" {
		errs = append(errs, errors.New("the admin token is missing"))
	}
	return errors.Join(errs...)
}

// Validate returns every invalid load setting of c at once. Run also checks c.Service.
func (c Config) Validate() error {
	var errs []error
	if c.Endpoint != EndpointSingle && c.Endpoint != EndpointBatch {
		errs = append(errs, fmt.Errorf("endpoint must be %q or %q, got %q",
			EndpointSingle, EndpointBatch, c.Endpoint))
	}
	if c.Endpoint == EndpointBatch && (c.BatchSize < 1 || c.BatchSize > MaxBatchSize) {
		errs = append(errs, fmt.Errorf("batch size must be 1 to %d, got %d",
			MaxBatchSize, c.BatchSize))
	}
	if len(c.Rates) == 0 {
		errs = append(errs, errors.New("at least one rate is required"))
	}
	if slices.ContainsFunc(c.Rates, func(rate int) bool { return rate < 1 }) {
		errs = append(errs, fmt.Errorf("each rate must be at least 1 request per second, got %v",
			c.Rates))
	}
	if c.StepDuration <= 0 || c.Timeout <= 0 || c.RateLimitWait <= 0 {
		errs = append(errs, fmt.Errorf("step duration, timeout and rate limit wait must be "+
			"positive, got %s, %s and %s", c.StepDuration, c.Timeout, c.RateLimitWait))
	}
	if c.Workers < 1 || (c.MaxWorkers != 0 && c.MaxWorkers < c.Workers) {
		errs = append(errs, fmt.Errorf("workers must be at least 1 and max workers 0 or at least "+
			"workers, got %d and %d", c.Workers, c.MaxWorkers))
	}
	errs = append(errs, c.Mix.validate())
	return errors.Join(errs...)
}
