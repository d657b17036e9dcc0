package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// tokenMargin is how long an access token must stay valid beyond a step's end; a step
// that would outlive it starts with a new token.
const tokenMargin = time.Minute

// Progress is the running total of the current step, after one more response.
type Progress struct {
	// Step counts from 1 to Steps.
	Step  int
	Steps int
	// Rate is the offered load of the step in requests per second.
	Rate int
	// Elapsed is the time since the step started, and Duration the time it sends for.
	Elapsed  time.Duration
	Duration time.Duration
	Requests int
	// Errors counts the purchases that did not get status 200.
	Errors int
}

// Run creates a partner client through the admin API, unless cfg.Service has a bearer
// token, then runs one vegeta attack per rate of cfg and returns a report with one step
// per attack. When ctx ends, the running
// attack stops, its step is reported as interrupted, and Run returns the report so far
// with an error wrapping ctx's error.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := errors.Join(cfg.Service.Validate(), cfg.Validate()); err != nil {
		return Report{}, err
	}
	s := setup{http: newHTTPClient(cfg.Timeout, 2), service: cfg.Service, log: cfg.Log}
	client, token, err := s.prepare(ctx, cfg.RateLimitWait)
	if err != nil {
		return Report{}, err
	}

	report := newReport(cfg, client)
	gen := NewGenerator(cfg.Mix, cfg.Seed)
	// vegeta's own default idle pool per host is 10000 connections.
	attackClient := newHTTPClient(cfg.Timeout, vegeta.DefaultConnections)
	for i, rate := range cfg.Rates {
		// The token must outlive the step and the wait for its last responses.
		token, err = s.renewToken(ctx, client, token, cfg.StepDuration+cfg.Timeout+tokenMargin)
		if err != nil {
			return report, fmt.Errorf("step %d: %w", i+1, err)
		}
		targeter := newTargeter(gen, cfg.Service.PartnerURL, cfg.Endpoint, cfg.BatchSize, token.value)
		attacker := newAttacker(cfg, attackClient)
		report.Steps = append(report.Steps, runStep(ctx, cfg, i, rate, attacker, targeter, gen))
		if ctx.Err() != nil {
			return report, fmt.Errorf("load test interrupted in step %d of %d: %w",
				i+1, len(cfg.Rates), ctx.Err())
		}
	}
	return report, nil
}

// newAttacker returns a vegeta attacker for one step. An attacker stops for good at the
// end of its attack, so each step needs its own. They share client and its connections.
func newAttacker(cfg Config, client *http.Client) *vegeta.Attacker {
	opts := []func(*vegeta.Attacker){vegeta.Client(client), vegeta.Workers(cfg.Workers)}
	if cfg.MaxWorkers > 0 {
		opts = append(opts, vegeta.MaxWorkers(cfg.MaxWorkers))
	}
	return vegeta.NewAttacker(opts...)
}

// runStep runs one attack at rate requests per second for cfg.StepDuration, or until ctx
// ends, and summarizes it.
func runStep(
	ctx context.Context,
	cfg Config,
	index, rate int,
	attacker *vegeta.Attacker,
	targeter vegeta.Targeter,
	gen *Generator,
) Step {
	stopOnCancel := context.AfterFunc(ctx, func() { attacker.Stop() })
	defer stopOnCancel()

	before := gen.Sent()
	var metrics vegeta.Metrics
	var outcomes Outcomes
	started := time.Now()
	pacer := vegeta.Rate{Freq: rate, Per: time.Second}
	name := fmt.Sprintf("step %d", index+1)
	for result := range attacker.Attack(targeter, pacer, cfg.StepDuration, name) {
		metrics.Add(result)
		outcomes.add(result, cfg.Endpoint, cfg.batchSize(), cfg.StatusOnly)
		if cfg.Progress != nil {
			cfg.Progress(Progress{
				Step:     index + 1,
				Steps:    len(cfg.Rates),
				Rate:     rate,
				Elapsed:  time.Since(started),
				Duration: cfg.StepDuration,
				Requests: int(metrics.Requests),
				Errors:   outcomes.failed(),
			})
		}
	}
	metrics.Close()

	step := newStep(index, rate, cfg.batchSize(), &metrics, outcomes)
	step.Sent = gen.Sent().minus(before)
	step.Interrupted = ctx.Err() != nil
	return step
}
