package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Report is the outcome of a load test: its settings and one Step per attack.
type Report struct {
	// Target names the system under load, when the load test's Config named one.
	Target    string   `json:"target,omitempty"`
	Endpoint  Endpoint `json:"endpoint"`
	BatchSize int      `json:"batch_size"`
	// StepSeconds is how long each step sent requests, in seconds.
	StepSeconds float64 `json:"step_seconds"`
	Mix         Mix     `json:"mix"`
	Seed        uint64  `json:"seed"`
	// Merchant and ClientID name the partner client the load test created. They are empty
	// when the load test sent a given bearer token.
	Merchant string `json:"merchant"`
	ClientID string `json:"client_id"`
	Steps    []Step `json:"steps"`
}

// Step is the outcome of one vegeta attack at one offered load.
type Step struct {
	// Step counts from 1.
	Step int `json:"step"`
	// OfferedRate is the load vegeta was asked to send, in requests per second, and
	// OfferedPurchases the same load in purchases per second.
	OfferedRate      int `json:"offered_rate"`
	OfferedPurchases int `json:"offered_purchases_per_second"`
	// Requests counts the requests sent, and SentRate is vegeta's rate of sending them.
	Requests uint64  `json:"requests"`
	SentRate float64 `json:"sent_rate"`
	// Seconds is the time from the first request to the last response.
	Seconds float64 `json:"seconds"`
	// Throughput is the number of purchases per second that got status 200, over Seconds.
	Throughput float64 `json:"throughput"`
	// SuccessRatio is the share of purchases that got status 200, from 0 to 1.
	SuccessRatio float64 `json:"success_ratio"`
	// Latency is vegeta's request latency, in milliseconds. A batch request counts once.
	Latency Latency `json:"latency_ms"`
	Outcomes
	// Sent counts the purchases of the step by kind.
	Sent Sent `json:"sent"`
	// Interrupted is true when the step stopped before its duration because the run was
	// cancelled.
	Interrupted bool `json:"interrupted"`
}

// Latency holds request latency percentiles in milliseconds. vegeta estimates the
// percentiles with a t-digest.
type Latency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func newReport(cfg Config, client credentials) Report {
	return Report{
		Target:      cfg.Target,
		Endpoint:    cfg.Endpoint,
		BatchSize:   cfg.batchSize(),
		StepSeconds: cfg.StepDuration.Seconds(),
		Mix:         cfg.Mix,
		Seed:        cfg.Seed,
		Merchant:    client.merchant,
		ClientID:    client.clientID,
	}
}

// newStep summarizes one closed set of vegeta metrics and the outcomes of its purchases.
func newStep(index, rate, batchSize int, m *vegeta.Metrics, outcomes Outcomes) Step {
	step := Step{
		Step:             index + 1,
		OfferedRate:      rate,
		OfferedPurchases: rate * batchSize,
		Requests:         m.Requests,
		SentRate:         m.Rate,
		Seconds:          (m.Duration + m.Wait).Seconds(),
		Latency: Latency{
			P50:  milliseconds(m.Latencies.P50),
			P95:  milliseconds(m.Latencies.P95),
			P99:  milliseconds(m.Latencies.P99),
			Max:  milliseconds(m.Latencies.Max),
			Mean: milliseconds(m.Latencies.Mean),
		},
		Outcomes: outcomes,
	}
	if step.ErrorsByStatus == nil {
		step.ErrorsByStatus = map[int]int{}
	}
	// The same definition as vegeta's Metrics.Throughput, counted in purchases.
	if step.Seconds > 0 {
		step.Throughput = float64(outcomes.Succeeded) / step.Seconds
	}
	if outcomes.Purchases > 0 {
		step.SuccessRatio = float64(outcomes.Succeeded) / float64(outcomes.Purchases)
	}
	return step
}

func milliseconds(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

// WriteJSON writes r as indented JSON.
func WriteJSON(w io.Writer, r Report) error {
	out := json.NewEncoder(w)
	out.SetIndent("", "  ")
	return out.Encode(r)
}

// WriteText writes r as a table with one row per step.
func WriteText(w io.Writer, r Report) error {
	var text strings.Builder
	perRequest := "1 purchase"
	if r.BatchSize > 1 {
		perRequest = fmt.Sprintf("%d purchases", r.BatchSize)
	}
	if r.Target != "" {
		fmt.Fprintf(&text, "target %s, ", r.Target)
	}
	fmt.Fprintf(&text, "endpoint %s (%s per request), %gs per step, retry share %g, "+
		"bad share %g, returning share %g, seed %d\n\n",
		r.Endpoint, perRequest, r.StepSeconds,
		r.Mix.RetryShare, r.Mix.BadShare, r.Mix.ReturningShare, r.Seed)

	table := tabwriter.NewWriter(&text, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "step\toffered/s\tpurchases\tachieved/s\tsuccess\t"+
		"p50\tp95\tp99\tmax\treplayed\terrors by status\t")
	for _, s := range r.Steps {
		fmt.Fprintf(table, "%d%s\t%d\t%d\t%.1f\t%.1f%%\t%s\t%s\t%s\t%s\t%d\t%s\t\n",
			s.Step, interruptedMark(s), s.OfferedPurchases, s.Purchases, s.Throughput,
			100*s.SuccessRatio, formatMillis(s.Latency.P50), formatMillis(s.Latency.P95),
			formatMillis(s.Latency.P99), formatMillis(s.Latency.Max), s.Replayed,
			formatErrors(s.ErrorsByStatus))
	}
	if err := table.Flush(); err != nil {
		return err
	}

	text.WriteString("\noffered/s and achieved/s count purchases; latencies are per request.\n")
	for _, s := range r.Steps {
		for _, message := range s.TransportErrors {
			fmt.Fprintf(&text, "step %d, no response: %s\n", s.Step, message)
		}
	}
	_, err := io.WriteString(w, text.String())
	return err
}

func interruptedMark(s Step) string {
	if s.Interrupted {
		return " (interrupted)"
	}
	return ""
}

func formatMillis(ms float64) string {
	return fmt.Sprintf("%.2fms", ms)
}

// formatErrors lists counts by status, such as "400=3 no-response=1", or "-" for none.
func formatErrors(byStatus map[int]int) string {
	var parts []string
	for _, status := range slices.Sorted(maps.Keys(byStatus)) {
		if status != NoResponse {
			parts = append(parts, fmt.Sprintf("%d=%d", status, byStatus[status]))
		}
	}
	if n, ok := byStatus[NoResponse]; ok {
		parts = append(parts, fmt.Sprintf("no-response=%d", n))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
