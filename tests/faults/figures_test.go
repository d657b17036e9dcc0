package faults_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// reliabilityOutEnv names the folder that receives faults.jsonl. When it is unset the
// figures are only logged.
const reliabilityOutEnv = "TXSYNC_RELIABILITY_OUT"

// figures are the counts of one fault test. Request counts cover the load and, for
// Retries, the retries after the fault. Store counts are read from the store at the end.
type figures struct {
	Test string `json:"test"`
	// Date is when the test ended, in RFC 3339 UTC.
	Date string `json:"date"`

	// Purchases counts the distinct purchases sent.
	Purchases int `json:"purchases"`
	// Sent counts the requests of the load, without the retries after the fault.
	Sent int `json:"sent"`
	// Acknowledged counts the requests of the load that got a 200.
	Acknowledged int `json:"acknowledged"`
	// Rejected counts the complete responses other than 200, by HTTP status.
	Rejected map[string]int `json:"rejected"`
	// NetworkErrors counts the requests of the load that got no response at all.
	NetworkErrors int `json:"network_errors"`
	// Truncated counts the responses that started but did not arrive complete.
	Truncated int `json:"truncated"`
	// Retries counts the requests sent after the fault to settle the purchases that the
	// load left without a 200.
	Retries int `json:"retries"`

	// Stored counts the purchases found in the store.
	Stored int `json:"stored"`
	// Duplicates counts the store documents beyond the first for one purchase, and the
	// platform ids held by more than one document.
	Duplicates int `json:"duplicates"`
	// Lost counts the purchases that got a 200 and are not in the store.
	Lost int `json:"lost"`
	// IDMismatches counts the 200 responses whose platform id differs from the stored one.
	IDMismatches int `json:"id_mismatches"`

	// Details holds the figures only one test has.
	Details any `json:"details,omitempty"`
}

// tallyRequests counts the requests of purchases into f.
func tallyRequests(f *figures, purchases []*purchase) {
	f.Purchases = len(purchases)
	f.Rejected = map[string]int{}

	for _, p := range purchases {
		for _, a := range p.attempts {
			countAttempt(f, a)
		}
	}
}

func countAttempt(f *figures, a attempt) {
	if a.retry {
		f.Retries++
		return
	}

	f.Sent++

	switch {
	case a.noResponse():
		f.NetworkErrors++
	case a.truncated():
		f.Truncated++
	case a.status == http.StatusOK:
		f.Acknowledged++
	default:
		f.Rejected[strconv.Itoa(a.status)]++
	}
}

// maxReportedViolations caps the error messages of one kind, so a broken run stays
// readable. The figures still count every violation.
const maxReportedViolations = 10

// violations reports the first maxReportedViolations messages of one kind as test
// errors and counts the rest.
type violations struct {
	t        *testing.T
	reported int
}

func (v *violations) add(format string, args ...any) {
	v.t.Helper()

	v.reported++
	if v.reported <= maxReportedViolations {
		v.t.Errorf(format, args...)
	}
}

func (v *violations) summarize(kind string) {
	v.t.Helper()

	if v.reported > maxReportedViolations {
		v.t.Errorf("%d %s in all, only the first %d are listed",
			v.reported, kind, maxReportedViolations)
	}
}

// checkStore compares what the clients saw with what the store holds and fills the
// store counts of f. It fails t for every acknowledged purchase that is not stored, is
// stored twice or is stored with another platform id than its 200 carried. It also fails
// t for every document that none of the purchases explains.
func checkStore(t *testing.T, f *figures, clientID string, purchases []*purchase, stored []storedTransaction) {
	t.Helper()

	byID := indexStored(t, f, clientID, purchases, stored)

	lost := violations{t: t}
	mismatched := violations{t: t}
	for _, p := range purchases {
		doc, isStored := byID[p.transactionID]
		if isStored {
			f.Stored++
		}

		ack, acknowledged := p.acknowledgement()
		if acknowledged && !isStored {
			f.Lost++
			lost.add("purchase %s got a 200 with platform id %d, but the store has no "+
				"document for it", p.transactionID, ack.platformID)
			continue
		}

		for _, a := range p.attempts {
			if a.acknowledged() && a.platformID != doc.PlatformID {
				f.IDMismatches++
				mismatched.add("purchase %s: a 200 carried platform id %d, the store has %d",
					p.transactionID, a.platformID, doc.PlatformID)
			}
		}
	}

	lost.summarize("lost purchases")
	mismatched.summarize("platform id mismatches")
}

// indexStored returns the stored documents by partner transaction id. It counts and
// reports duplicates, documents not stored under "<client id>/<transaction id>", and
// documents of purchases that were never sent.
func indexStored(
	t *testing.T,
	f *figures,
	clientID string,
	purchases []*purchase,
	stored []storedTransaction,
) map[string]storedTransaction {
	t.Helper()

	sent := make(map[string]bool, len(purchases))
	for _, p := range purchases {
		sent[p.transactionID] = true
	}

	byID := make(map[string]storedTransaction, len(stored))
	platformIDs := make(map[int64]string, len(stored))
	problems := violations{t: t}
	for _, doc := range stored {
		if want := clientID + "/" + doc.TransactionID; doc.ID != want || doc.ClientID != clientID {
			problems.add("stored document %q of client %q, want _id %q of client %q",
				doc.ID, doc.ClientID, want, clientID)
		}

		if !sent[doc.TransactionID] {
			problems.add("the store has purchase %q, which the test never sent", doc.TransactionID)
		}

		if _, seen := byID[doc.TransactionID]; seen {
			f.Duplicates++
			problems.add("purchase %s is stored more than once", doc.TransactionID)
		}

		if other, seen := platformIDs[doc.PlatformID]; seen {
			f.Duplicates++
			problems.add("platform id %d is stored for purchases %s and %s",
				doc.PlatformID, other, doc.TransactionID)
		}

		byID[doc.TransactionID] = doc
		platformIDs[doc.PlatformID] = doc.TransactionID
	}
	problems.summarize("problems with stored documents")

	return byID
}

// outputMu serializes the appends of parallel tests to faults.jsonl.
var outputMu sync.Mutex

// report logs f and, when TXSYNC_RELIABILITY_OUT is set, appends it as one JSON line
// to faults.jsonl in that folder.
func report(t *testing.T, f figures) {
	t.Helper()

	f.Test = t.Name()
	f.Date = time.Now().UTC().Format(time.RFC3339)

	line, err := json.Marshal(f)
	if err != nil {
		t.Fatalf("encode figures: %v", err)
	}

	t.Logf("figures: %s", line)

	folder := os.Getenv(reliabilityOutEnv)
	if folder == "" {
		return
	}

	if err := appendLine(filepath.Join(folder, "faults.jsonl"), line); err != nil {
		t.Errorf("write figures to %s: %v", reliabilityOutEnv, err)
	}
}

func appendLine(path string, line []byte) error {
	outputMu.Lock()
	defer outputMu.Unlock()

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}

	file, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}

	_, err = file.Write(append(line, '\n'))
	if closeErr := file.Close(); err == nil && closeErr != nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}

	return nil
}
