package faults_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

const (
	// outageStoreTimeout is txsync's default TXSYNC_STORE_TIMEOUT, set here so that the
	// test keeps checking the default even if other tests' settings change.
	outageStoreTimeout = "1500ms"

	// maxUnavailableLatency is the longest a 503 may take from sending the request to
	// reading the whole response.
	maxUnavailableLatency = 2 * time.Second

	// outageDuration is how long the store stays stopped.
	outageDuration = 4 * time.Second

	// recoveryTimeout bounds the wait for the first 200 after the store is back.
	recoveryTimeout = 30 * time.Second
)

// outageDetails are the figures only the store outage test has.
type outageDetails struct {
	// OutageSeconds is the time from the stopped store exiting to its start.
	OutageSeconds float64 `json:"outage_seconds"`
	// OutageRequests counts the requests sent and completed while the store was stopped.
	OutageRequests int `json:"outage_requests"`
	// Max503Milliseconds is the longest time a 503 took, from sending to reading it.
	Max503Milliseconds int64 `json:"max_503_ms"`
	// RecoverySeconds is the time from the store responding to pings again to the first 200
	// of a request sent after that.
	RecoverySeconds float64 `json:"recovery_seconds"`
	settled
}

func TestStoreOutage_returns503ThenRecovers(t *testing.T) {
	t.Parallel()

	ctx := t.Context()
	s := startStack(t, 1, map[string]string{"TXSYNC_STORE_TIMEOUT": outageStoreTimeout})
	service := s.services[0]
	client := newPartnerClient(t, service)
	p := newPoster(client.token)

	run := startLoad(t, "outage", p, service.BaseURL)
	sleep(ctx, loadBeforeFault)

	if err := s.store.Stop(ctx); err != nil {
		t.Fatalf("stop the store: %v", err)
	}

	stoppedAt := time.Now()
	sleep(ctx, outageDuration)
	startingAt := time.Now()

	if err := s.store.Start(ctx); err != nil {
		t.Fatalf("start the store again: %v", err)
	}

	readyAt := time.Now()
	recovered := run.waitForAcknowledgement(ctx, readyAt, recoveryTimeout)
	sleep(ctx, loadAfterRecovery)
	purchases := run.finish()

	f := figures{}
	details := outageDetails{OutageSeconds: startingAt.Sub(stoppedAt).Seconds()}
	tallyRequests(&f, purchases)
	checkOutageResponses(t, &details, purchases, stoppedAt, startingAt)
	details.RecoverySeconds = firstAcknowledgement(purchases, readyAt).Seconds()

	checkStore(t, &f, client.id, purchases, readStored(t, s.store.HostURI()))

	details.Retried = settleAndRecount(ctx, t, &f, &details.settled, p, service.BaseURL,
		client.id, purchases, s.store.HostURI())
	f.Details = details
	report(t, f)

	assertNoServerErrors(t, f)
	if !recovered {
		t.Errorf("no request sent after the store was back got a 200 within %s, "+
			"want the service to recover without a restart", recoveryTimeout)
	}
	if details.OutageRequests == 0 {
		t.Errorf("no request was sent and completed during the %s outage", outageDuration)
	}
	if f.NetworkErrors != 0 || f.Truncated != 0 {
		t.Errorf("%d requests got no response and %d a truncated one, want a complete "+
			"response to every request while only the store is down", f.NetworkErrors, f.Truncated)
	}
	if f.Stored != len(purchases) {
		t.Errorf("the store has %d of the %d purchases after the retries, want all",
			f.Stored, len(purchases))
	}
	assertCustomers(t, s.store.HostURI(), purchases)
}

// checkOutageResponses fails t for every 503 without a Retry-After of whole seconds or
// slower than maxUnavailableLatency, and for every request sent and completed between
// stoppedAt and startingAt whose response is not a 503.
func checkOutageResponses(
	t *testing.T,
	details *outageDetails,
	purchases []*purchase,
	stoppedAt, startingAt time.Time,
) {
	t.Helper()

	slow, noRetryAfter, notUnavailable := violations{t: t}, violations{t: t}, violations{t: t}
	for _, p := range purchases {
		for _, a := range p.attempts {
			duringOutage := !a.sentAt.Before(stoppedAt) && !a.doneAt.After(startingAt)
			if duringOutage {
				details.OutageRequests++
			}

			if a.err == nil && a.status == http.StatusServiceUnavailable {
				details.Max503Milliseconds = max(details.Max503Milliseconds,
					a.latency().Milliseconds())
			}

			switch {
			case a.err != nil || a.status != http.StatusServiceUnavailable:
				if duringOutage {
					notUnavailable.add("purchase %s sent during the outage: got status %d "+
						"(error %v), want 503", p.transactionID, a.status, a.err)
				}
			case a.latency() > maxUnavailableLatency:
				slow.add("purchase %s: the 503 took %s, want at most %s (the service "+
					"output below logs its own duration_ms for request_id %s)",
					p.transactionID, a.latency(), maxUnavailableLatency, p.transactionID)
			case !isWholeSeconds(a.retryAfter):
				noRetryAfter.add("purchase %s: the 503 has Retry-After %q, "+
					"want a number of seconds", p.transactionID, a.retryAfter)
			}
		}
	}

	slow.summarize("slow 503s")
	noRetryAfter.summarize("503s without Retry-After")
	notUnavailable.summarize("responses other than 503 during the outage")
}

func isWholeSeconds(value string) bool {
	seconds, err := strconv.Atoi(value)
	return err == nil && seconds > 0
}

// firstAcknowledgement returns the time from since to the first 200 of a request of the
// load sent at or after since, or 0 when there is none.
func firstAcknowledgement(purchases []*purchase, since time.Time) time.Duration {
	var first time.Time
	for _, p := range purchases {
		for _, a := range p.attempts {
			if a.retry || !a.acknowledged() || a.sentAt.Before(since) {
				continue
			}

			if first.IsZero() || a.doneAt.Before(first) {
				first = a.doneAt
			}
		}
	}

	if first.IsZero() {
		return 0
	}

	return first.Sub(since)
}
