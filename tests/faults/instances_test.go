package faults_test

import (
	"net/http"
	"testing"
	"time"
)

// instancesLoadDuration is how long the workers send every purchase to both instances.
const instancesLoadDuration = 4 * time.Second

// instancesDetails are the figures only the two-instance test has.
type instancesDetails struct {
	// BothAcknowledged counts the purchases that got a 200 from both instances under load,
	// before any retry.
	BothAcknowledged int `json:"both_acknowledged"`
	// RecordedBy counts, per instance, the purchases whose 200 from it was not a replay.
	RecordedBy [2]int `json:"recorded_by"`
	// Retried counts the purchases retried on an instance after a 503.
	Retried int `json:"retried"`
	// Customers is how many customers the store holds at the end.
	Customers int64 `json:"customers"`
}

func TestInstances_sameTransactionIDsUnderLoad(t *testing.T) {
	t.Parallel()

	ctx := t.Context()
	s := startStack(t, 2, nil)
	first, second := s.services[0], s.services[1]

	// One token for both: the second instance verifies what the first issued, since they
	// share the signing key through the store.
	client := newPartnerClient(t, first)
	p := newPoster(client.token)

	run := startLoad(t, "twin", p, first.BaseURL, second.BaseURL)
	sleep(ctx, instancesLoadDuration)
	purchases := run.finish()

	details := instancesDetails{}
	details.BothAcknowledged = countBothAcknowledged(purchases)

	// A 503 means that the store was too slow, which the contract allows under load. A
	// partner retries it, and so does the test, on the instance that sent it.
	for i, target := range []target{first.BaseURL, second.BaseURL} {
		pending := unavailableOn(purchases, i)
		details.Retried += len(pending)
		settle(ctx, p, i, target, pending)
	}

	f := figures{}
	tallyRequests(&f, purchases)
	checkStore(t, &f, client.id, purchases, readStored(t, s.store.HostURI()))
	checkRecordedOnce(t, &details, purchases)
	details.Customers = countCustomers(t, s.store.HostURI())
	f.Details = details
	report(t, f)

	assertNoServerErrors(t, f)
	if f.NetworkErrors != 0 || f.Truncated != 0 {
		t.Errorf("%d requests got no response and %d a truncated one, want none",
			f.NetworkErrors, f.Truncated)
	}
	if f.Stored != len(purchases) {
		t.Errorf("the store has %d of the %d purchases, want all", f.Stored, len(purchases))
	}
	if want := int64(distinctCustomers(purchases)); details.Customers != want {
		t.Errorf("the store has %d customers, want %d", details.Customers, want)
	}
}

func countBothAcknowledged(purchases []*purchase) int {
	count := 0
	for _, p := range purchases {
		if p.attempts[0].acknowledged() && p.attempts[1].acknowledged() {
			count++
		}
	}

	return count
}

// unavailableOn returns the purchases whose last request to instance got a 503 or 429.
func unavailableOn(purchases []*purchase, instance int) []*purchase {
	var pending []*purchase
	for _, p := range purchases {
		last, ok := lastAttemptOn(p, instance)
		if ok && last.err == nil && (last.status == http.StatusServiceUnavailable ||
			last.status == http.StatusTooManyRequests) {
			pending = append(pending, p)
		}
	}

	return pending
}

func lastAttemptOn(p *purchase, instance int) (attempt, bool) {
	for i := len(p.attempts) - 1; i >= 0; i-- {
		if p.attempts[i].instance == instance {
			return p.attempts[i], true
		}
	}

	return attempt{}, false
}

// checkRecordedOnce fails t for every purchase whose last response from either instance
// is not a 200, whose 200s carry different platform ids, or that more than one 200
// reports as newly recorded. Without retries exactly one 200 must be new. After a
// retried 503 none need be, since the write behind the 503 can complete after its
// timeout and turn every later response into a replay.
func checkRecordedOnce(t *testing.T, details *instancesDetails, purchases []*purchase) {
	t.Helper()

	unsettled, split, recorded := violations{t: t}, violations{t: t}, violations{t: t}
	for _, p := range purchases {
		var platformID int64
		recordedAnew := 0
		for instance := range 2 {
			last, _ := lastAttemptOn(p, instance)
			if !last.acknowledged() {
				unsettled.add("purchase %s: the last response of instance %d has status %d "+
					"(error %v), want 200", p.transactionID, instance, last.status, last.err)
				continue
			}

			if platformID != 0 && last.platformID != platformID {
				split.add("purchase %s: the instances returned platform ids %d and %d, "+
					"want one", p.transactionID, platformID, last.platformID)
			}
			platformID = last.platformID

			if !last.replayed {
				recordedAnew++
				details.RecordedBy[instance]++
			}
		}

		retried := len(p.attempts) > 2
		switch {
		case recordedAnew > 1:
			recorded.add("purchase %s: both instances reported that they recorded it anew, "+
				"want one", p.transactionID)
		case recordedAnew == 0 && !retried:
			recorded.add("purchase %s: both instances responded with a replay, want one "+
				"to record it anew", p.transactionID)
		}
	}

	unsettled.summarize("purchases without a final 200")
	split.summarize("purchases with two platform ids")
	recorded.summarize("purchases recorded anew more or less than once")
}
