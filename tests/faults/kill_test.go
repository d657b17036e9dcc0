package faults_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

const (
	// loadBeforeFault is how long the load runs before the fault.
	loadBeforeFault = 1500 * time.Millisecond

	// loadAfterRecovery is how long the load runs after the service or the store is back.
	loadAfterRecovery = time.Second
)

// killDetails are the figures only the kill -9 test has.
type killDetails struct {
	// RestartSeconds is the time from the kill to the service being ready again.
	RestartSeconds float64 `json:"restart_seconds"`
	// AcknowledgedAfterRestart counts the 200s to requests sent after the restart.
	AcknowledgedAfterRestart int `json:"acknowledged_after_restart"`
	settled
}

// settled are the figures of the retries after a fault.
type settled struct {
	// Retried counts the purchases without a 200 that were retried after the fault.
	Retried int `json:"retried"`
	// SettledNew and SettledReplayed count the retried purchases whose last response was
	// a 200 recording them now, or a 200 replaying a purchase stored before.
	SettledNew      int `json:"settled_new"`
	SettledReplayed int `json:"settled_replayed"`
}

func TestKill_acknowledgedPurchasesSurviveKill9(t *testing.T) {
	t.Parallel()

	ctx := t.Context()
	s := startStack(t, 1, nil)
	service := s.services[0]
	client := newPartnerClient(t, service)
	p := newPoster(client.token)

	run := startLoad(t, "kill", p, service.BaseURL)
	sleep(ctx, loadBeforeFault)

	killedAt := time.Now()
	if err := service.Kill(ctx); err != nil {
		t.Fatalf("kill -9 the service: %v", err)
	}

	if err := service.Start(ctx); err != nil {
		t.Fatalf("start the killed service: %v", err)
	}

	restartedAt := time.Now()
	sleep(ctx, loadAfterRecovery)
	purchases := run.finish()

	f := figures{}
	details := killDetails{RestartSeconds: restartedAt.Sub(killedAt).Seconds()}
	tallyRequests(&f, purchases)
	details.AcknowledgedAfterRestart = acknowledgedSince(purchases, restartedAt)

	// Every purchase acknowledged before the kill must be stored before any retry can
	// store it again.
	checkStore(t, &f, client.id, purchases, readStored(t, s.store.HostURI()))

	details.Retried = settleAndRecount(ctx, t, &f, &details.settled, p, service.BaseURL,
		client.id, purchases, s.store.HostURI())
	f.Details = details
	report(t, f)

	assertNoServerErrors(t, f)
	if f.Acknowledged == 0 {
		t.Errorf("no request was acknowledged, so the load never ran against the service")
	}
	if details.AcknowledgedAfterRestart == 0 {
		t.Errorf("no request sent after the restart was acknowledged, want the service "+
			"to record purchases again within %s", loadAfterRecovery)
	}
	if f.Stored != len(purchases) {
		t.Errorf("the store has %d of the %d purchases after the retries, want all",
			f.Stored, len(purchases))
	}
	assertCustomers(t, s.store.HostURI(), purchases)
}

// acknowledgedSince counts the load's 200s to requests sent at or after since.
func acknowledgedSince(purchases []*purchase, since time.Time) int {
	count := 0
	for _, p := range purchases {
		for _, a := range p.attempts {
			if !a.retry && a.acknowledged() && !a.sentAt.Before(since) {
				count++
			}
		}
	}

	return count
}

// checkSettled fails t for every retried purchase whose last response is not a 200, and
// counts the new and the replayed ones.
func checkSettled(t *testing.T, details *settled, retried []*purchase) {
	t.Helper()

	unsettled := violations{t: t}
	for _, p := range retried {
		last := p.attempts[len(p.attempts)-1]
		switch {
		case !last.acknowledged():
			unsettled.add("purchase %s: the last of %d retries got status %d (error %v), "+
				"want 200", p.transactionID, settleAttempts, last.status, last.err)
		case last.replayed:
			details.SettledReplayed++
		default:
			details.SettledNew++
		}
	}
	unsettled.summarize("unsettled purchases")
}

// mergeFinal copies the counts of final, taken after the retries, into f, the figures
// of the load. The store counts of final include every problem the first check found,
// because the retries only add documents and acknowledged purchases are not retried.
// settleAndRecount retries every purchase that was not acknowledged until each settles,
// checks the retries, then counts the requests and the store again and merges those final
// figures into f. It returns how many purchases were retried.
func settleAndRecount(
	ctx context.Context,
	t *testing.T,
	f *figures,
	details *settled,
	p *poster,
	baseURL target,
	clientID string,
	purchases []*purchase,
	storeURI string,
) int {
	t.Helper()
	pending := notAcknowledged(purchases)
	settle(ctx, p, 0, baseURL, pending)
	checkSettled(t, details, pending)

	final := figures{}
	tallyRequests(&final, purchases)
	checkStore(t, &final, clientID, purchases, readStored(t, storeURI))
	mergeFinal(f, final)
	return len(pending)
}

func mergeFinal(f *figures, final figures) {
	f.Retries = final.Retries
	f.Stored = final.Stored
	f.Duplicates = final.Duplicates
	f.IDMismatches = final.IDMismatches
	f.Lost = final.Lost
}

// assertNoServerErrors fails t for every response of the load with a 5xx status other
// than 503.
func assertNoServerErrors(t *testing.T, f figures) {
	t.Helper()

	for status, count := range f.Rejected {
		code, err := strconv.Atoi(status)
		if err != nil || (code >= 500 && code != http.StatusServiceUnavailable) {
			t.Errorf("%d requests got status %s, want none", count, status)
		}
	}
}
