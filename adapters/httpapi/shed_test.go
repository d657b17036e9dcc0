package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/txsync/txsync/adapters/httpapi"
	"github.com/txsync/txsync/application"
	"github.com/txsync/txsync/domain/partner"
	domain "github.com/txsync/txsync/domain/purchase"
)

// blockingRecorder records every purchase once release is closed, and reports each call
// on entered.
type blockingRecorder struct {
	entered chan struct{}
	release chan struct{}
}

func (r blockingRecorder) Record(context.Context, partner.Principal, domain.Details) (application.Recorded, error) {
	r.entered <- struct{}{}
	<-r.release
	return application.Recorded{PlatformID: 1}, nil
}

func (r blockingRecorder) Preview(context.Context, partner.Principal, domain.Details) (application.Preview, error) {
	return application.Preview{}, nil
}

func (r blockingRecorder) RecordMany(_ context.Context, _ partner.Principal, details []domain.Details) []application.ItemResult {
	r.entered <- struct{}{}
	<-r.release
	return make([]application.ItemResult, len(details))
}

// anyToken accepts every bearer token as client c1 of merchant m1.
type anyToken struct{}

func (anyToken) Authenticate(string) (partner.Principal, error) {
	return partner.Principal{ClientID: "c1", MerchantID: "m1"}, nil
}

func (anyToken) IssueToken(context.Context, string, string) (application.Token, error) {
	return application.Token{}, nil
}

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func TestMaxInFlight_rejectsExcessWrites(t *testing.T) {
	t.Parallel()
	recorder := blockingRecorder{entered: make(chan struct{}, 3), release: make(chan struct{})}
	app := httpapi.NewPartnerAPI(httpapi.Config{
		Recorder:     recorder,
		Access:       anyToken{},
		Clock:        fixedClock{},
		Logger:       slog.New(slog.DiscardHandler),
		Location:     time.UTC,
		StoreTimeout: 10 * time.Second,
		ReadTimeout:  10 * time.Second,
		MaxInFlight:  3,
	})
	post := func(path, body string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer token")
		return req
	}
	single := func() *http.Request { return post("/tp/services/transaction", originalExample) }
	batch := func(n int) *http.Request {
		items := strings.TrimSuffix(strings.Repeat(originalExample+",", n), ",")
		return post("/tp/services/transactions", `{"transactions":[`+items+`]}`)
	}
	var blocked sync.WaitGroup
	block := func(req *http.Request) {
		blocked.Go(func() {
			if r := do(t, app, req); r.Code != http.StatusOK {
				t.Errorf("blocked write: status %d, want 200: %s", r.Code, r.Raw)
			}
		})
		<-recorder.entered
	}
	rejected := func(name string, req *http.Request) {
		t.Helper()
		r := do(t, app, req)
		if r.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503: %s", name, r.Code, r.Raw)
		}
		if got := r.Header.Get("Retry-After"); got != "1" {
			t.Errorf("%s: Retry-After %q, want 1", name, got)
		}
		if !strings.Contains(r.Status.Message, "at capacity") {
			t.Errorf("%s: message %q, want it to say at capacity", name, r.Status.Message)
		}
	}

	// A single purchase and a batch of one take two of the three places.
	block(single())
	block(batch(1))
	rejected("batch of two with one place left", batch(2))
	block(single())
	rejected("single with no place left", single())
	rejected("batch of one with no place left", batch(1))

	close(recorder.release)
	blocked.Wait()
	if r := do(t, app, batch(3)); r.Code != http.StatusOK {
		t.Errorf("batch of three after the others finished: status %d, want 200: %s", r.Code, r.Raw)
	}
}
