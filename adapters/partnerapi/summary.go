package partnerapi

import (
	"cmp"
	"net/http"
	"slices"
	"sync"
)

// Counts are the running totals of a replay.
type Counts struct {
	// Lines counts the non-empty lines read and posted.
	Lines int `json:"lines"`
	// Accepted counts the purchases that this replay recorded.
	Accepted int `json:"accepted"`
	// Replayed counts the purchases recorded before with the same content.
	Replayed int `json:"replayed"`
	// Rejected counts the purchases whose response has a status other than 200.
	Rejected int `json:"rejected"`
	// Failed counts the purchases that got no final response, mostly because the server
	// was unreachable after all retries. Whether the server recorded them is unknown.
	Failed int `json:"failed"`
	// Retries counts the requests sent beyond the first one of each purchase that got a
	// response.
	Retries int `json:"retries"`
}

// Summary is the outcome of a replay.
type Summary struct {
	Counts
	// RejectedByStatus counts the rejected purchases by HTTP status.
	RejectedByStatus map[int]int `json:"rejected_by_status"`
	// RejectedByField counts the field errors of rejected purchases, most frequent
	// first. A purchase with several field errors is counted under each of them.
	RejectedByField []FieldCount `json:"rejected_by_field"`
}

// FieldCount is how many rejected purchases broke one field rule.
type FieldCount struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// tally adds up the outcomes that concurrent posts report.
type tally struct {
	mu         sync.Mutex
	counts     Counts
	byStatus   map[int]int
	byField    map[FieldError]int
	progress   func(Counts)
	onResponse func(line int, resp Response)
}

func newTally(progress func(Counts), onResponse func(int, Response)) *tally {
	return &tally{
		byStatus:   map[int]int{},
		byField:    map[FieldError]int{},
		progress:   progress,
		onResponse: onResponse,
	}
}

// read counts a line that is about to be posted.
func (t *tally) read() {
	t.update(func() { t.counts.Lines++ })
}

// add counts the response to the purchase on line.
func (t *tally) add(line int, resp Response) {
	t.update(func() {
		if t.onResponse != nil {
			t.onResponse(line, resp)
		}
		t.counts.Retries += max(resp.Attempts-1, 0)
		switch {
		case resp.Status == http.StatusOK && resp.Result.Replayed:
			t.counts.Replayed++
		case resp.Status == http.StatusOK:
			t.counts.Accepted++
		default:
			t.counts.Rejected++
			t.byStatus[resp.Status]++
			for _, fe := range resp.Errors {
				t.byField[fe]++
			}
		}
	})
}

// fail counts a purchase that got no final response.
func (t *tally) fail() {
	t.update(func() { t.counts.Failed++ })
}

// update applies change and reports the new totals to the progress function, one call at
// a time.
func (t *tally) update(change func()) {
	t.mu.Lock()
	defer t.mu.Unlock()

	change()
	if t.progress != nil {
		t.progress(t.counts)
	}
}

func (t *tally) summary() Summary {
	t.mu.Lock()
	defer t.mu.Unlock()

	fields := make([]FieldCount, 0, len(t.byField))
	for fe, n := range t.byField {
		fields = append(fields, FieldCount{Field: fe.Field, Reason: fe.Reason, Count: n})
	}
	slices.SortFunc(fields, func(a, b FieldCount) int {
		return cmp.Or(
			cmp.Compare(b.Count, a.Count),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Reason, b.Reason),
		)
	})
	byStatus := make(map[int]int, len(t.byStatus))
	for status, n := range t.byStatus {
		byStatus[status] = n
	}
	return Summary{Counts: t.counts, RejectedByStatus: byStatus, RejectedByField: fields}
}
