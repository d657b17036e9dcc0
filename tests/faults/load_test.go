package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	// workers is how many goroutines post purchases at once in each test.
	workers = 4

	// maxPurchasesPerWorker bounds each worker's loop, whatever the timing.
	maxPurchasesPerWorker = 5000

	// maxLoadDuration bounds one load run in case a test never stops it.
	maxLoadDuration = 90 * time.Second

	// noResponsePause is how long a worker waits after a request got no response, so
	// that it does not spin while the service is down.
	noResponsePause = 50 * time.Millisecond
)

// attempt is one POST of a purchase and how it ended, as the client saw it.
type attempt struct {
	// instance is the index of the service the request went to.
	instance int
	// retry is true for the requests settle sends after the fault.
	retry bool

	sentAt time.Time
	doneAt time.Time

	// connected is true when the client got a TCP connection, so the request was not
	// refused at connect time.
	connected bool
	// responded is true when the first byte of a response arrived.
	responded bool
	// err is set when no complete, well-formed response arrived.
	err error

	// The fields below are read from a complete response.
	status     int
	retryAfter string
	platformID int64
	replayed   bool
}

// acknowledged reports whether the request got a complete 200 response.
func (a attempt) acknowledged() bool {
	return a.err == nil && a.status == http.StatusOK
}

// noResponse reports whether the request failed before any byte of a response arrived:
// the connection was refused, reset or closed first, or the client timed out.
func (a attempt) noResponse() bool {
	return a.err != nil && !a.responded
}

// timedOut reports whether the client gave up waiting, after requestTimeout.
func (a attempt) timedOut() bool {
	var netErr net.Error
	return errors.As(a.err, &netErr) && netErr.Timeout()
}

// truncated reports whether a response started but did not arrive complete and
// well-formed.
func (a attempt) truncated() bool {
	return a.err != nil && a.responded
}

// latency is the time from sending the request to reading the whole response.
func (a attempt) latency() time.Duration {
	return a.doneAt.Sub(a.sentAt)
}

// purchase is one distinct purchase a test sends, with every request that carried it.
type purchase struct {
	transactionID string
	customer      int
	body          []byte
	attempts      []attempt
}

// acknowledgement returns the first 200 the purchase got, and false when none.
func (p *purchase) acknowledgement() (attempt, bool) {
	for _, a := range p.attempts {
		if a.acknowledged() {
			return a, true
		}
	}

	return attempt{}, false
}

// poster posts purchases with one access token over one HTTP client. It sends each
// request once, so the tests decide what to retry and count every request. net/http
// itself resends only a request that it could not write to a reused connection, which
// therefore never reached the service.
type poster struct {
	http  *http.Client
	token string
}

func newPoster(token string) *poster {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 2 * workers

	return &poster{
		http:  &http.Client{Transport: transport, Timeout: requestTimeout},
		token: token,
	}
}

// responseEnvelope is the part of a partner API response these tests read.
type responseEnvelope struct {
	Status struct {
		Code string `json:"code"`
	} `json:"status"`
	Result *struct {
		TransactionID int64 `json:"transaction_id"`
		Replayed      bool  `json:"replayed"`
	} `json:"result"`
}

// post sends one purchase to the partner API at baseURL and reads the whole response.
// requestID is sent as X-Request-Id.
func (p *poster) post(ctx context.Context, baseURL, requestID string, body []byte) attempt {
	var connected, responded atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn:              func(httptrace.GotConnInfo) { connected.Store(true) },
		GotFirstResponseByte: func() { responded.Store(true) },
	}
	ctx = httptrace.WithClientTrace(ctx, trace)

	a := attempt{sentAt: time.Now()}
	a.err = p.exchange(ctx, baseURL, requestID, body, &a)
	a.doneAt = time.Now()
	a.connected, a.responded = connected.Load(), responded.Load()

	return a
}

// exchange sends the request and fills a from a complete response.
func (p *poster) exchange(
	ctx context.Context,
	baseURL, requestID string,
	body []byte,
	a *attempt,
) error {
	request, err := http.NewRequestWithContext(ctx, http.MethodPost,
		baseURL+"/tp/services/transaction", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}

	request.Header.Set("Content-Type", "application/json")
	request.Header.Set("Authorization", "Bearer "+p.token)
	// The service logs this id with each request, so a failure can be traced in the
	// container output that the harness prints.
	request.Header.Set("X-Request-Id", requestID)

	response, err := p.http.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close() // Read in full below; a close error changes nothing.

	// A body shorter than its Content-Length fails here with io.ErrUnexpectedEOF.
	raw, err := io.ReadAll(response.Body)
	if err != nil {
		return fmt.Errorf("read the %d response: %w", response.StatusCode, err)
	}

	a.status = response.StatusCode
	a.retryAfter = response.Header.Get("Retry-After")

	return readEnvelope(raw, a)
}

// readEnvelope checks that raw is a complete response envelope for a.status and reads
// the platform id of a 200.
func readEnvelope(raw []byte, a *attempt) error {
	var envelope responseEnvelope
	if err := json.Unmarshal(raw, &envelope); err != nil {
		return fmt.Errorf("read the %d response %q: %w", a.status, raw, err)
	}

	if envelope.Status.Code != strconv.Itoa(a.status) {
		return fmt.Errorf("the %d response has status.code %q", a.status, envelope.Status.Code)
	}

	if a.status != http.StatusOK {
		return nil
	}

	if envelope.Result == nil || envelope.Result.TransactionID <= 0 {
		return errors.New("the 200 response has no positive result.transaction_id")
	}

	a.platformID = envelope.Result.TransactionID
	a.replayed = envelope.Result.Replayed

	return nil
}

// target returns the base URL of one service. It is called before every request,
// because a service's host port changes every time its container starts.
type target func() string

// load is a run of workers that post distinct purchases until it is stopped. When it
// has several targets, each purchase goes to all of them at once.
type load struct {
	name    string
	targets []target
	poster  *poster

	stop context.CancelFunc
	done sync.WaitGroup

	// lastAcknowledged is the send time, in Unix nanoseconds, of the latest request
	// that got a 200. Tests poll it while the workers run.
	lastAcknowledged atomic.Int64

	// purchases[w] is what worker w sent. Read it only after done.
	purchases [][]*purchase
}

// startLoad starts the workers. Their purchases have transaction ids name-w<worker>-<n>.
// Each worker stops after maxPurchasesPerWorker purchases or maxLoadDuration at most.
func startLoad(t *testing.T, name string, p *poster, targets ...target) *load {
	t.Helper()

	stopCtx, stop := context.WithTimeout(t.Context(), maxLoadDuration)
	l := &load{
		name:      name,
		targets:   targets,
		poster:    p,
		stop:      stop,
		purchases: make([][]*purchase, workers),
	}

	for w := range workers {
		l.done.Go(func() { l.work(t.Context(), stopCtx, w) })
	}

	// A test that fails early still stops its workers before its containers go.
	t.Cleanup(func() {
		stop()
		l.done.Wait()
	})

	return l
}

// work runs one worker. Requests use ctx rather than stopCtx, so stopping the load never
// cuts a request short.
func (l *load) work(ctx, stopCtx context.Context, w int) {
	for n := range maxPurchasesPerWorker {
		if stopCtx.Err() != nil {
			return
		}

		id := fmt.Sprintf("%s-w%d-%d", l.name, w, n)
		customer := (w*maxPurchasesPerWorker + n) % customerCount
		p := &purchase{transactionID: id, customer: customer, body: purchaseBody(id, customer)}
		p.attempts = l.sendToAll(ctx, id, p.body)
		l.purchases[w] = append(l.purchases[w], p)
		l.noteAcknowledgements(p.attempts)

		if anyNoResponse(p.attempts) {
			sleep(stopCtx, noResponsePause)
		}
	}
}

// sendToAll posts body to every target at once and returns the attempts in target order.
func (l *load) sendToAll(ctx context.Context, requestID string, body []byte) []attempt {
	attempts := make([]attempt, len(l.targets))

	var wg sync.WaitGroup
	for i, baseURL := range l.targets {
		wg.Go(func() {
			attempts[i] = l.poster.post(ctx, baseURL(), requestID, body)
			attempts[i].instance = i
		})
	}
	wg.Wait()

	return attempts
}

func (l *load) noteAcknowledgements(attempts []attempt) {
	for _, a := range attempts {
		if !a.acknowledged() {
			continue
		}

		sent := a.sentAt.UnixNano()
		for {
			latest := l.lastAcknowledged.Load()
			if sent <= latest || l.lastAcknowledged.CompareAndSwap(latest, sent) {
				break
			}
		}
	}
}

// waitForAcknowledgement waits until a request sent at or after since got a 200, for
// at most timeout, and reports whether one did.
func (l *load) waitForAcknowledgement(ctx context.Context, since time.Time, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if l.lastAcknowledged.Load() >= since.UnixNano() {
			return true
		}

		sleep(ctx, 20*time.Millisecond)
	}

	return l.lastAcknowledged.Load() >= since.UnixNano()
}

func anyNoResponse(attempts []attempt) bool {
	for _, a := range attempts {
		if a.noResponse() {
			return true
		}
	}

	return false
}

// finish stops the workers, waits for their requests in flight and returns every
// purchase sent.
func (l *load) finish() []*purchase {
	l.stop()
	l.done.Wait()

	var all []*purchase
	for _, sent := range l.purchases {
		all = append(all, sent...)
	}

	return all
}

const (
	// settleAttempts bounds the retries of one purchase after the fault.
	settleAttempts = 20

	// settlePause is the wait between two retries of one purchase.
	settlePause = 250 * time.Millisecond
)

// settle retries every purchase in pending on instance until it gets a response other
// than 503, 429 or none at all, as a partner would. The attempts are appended to each
// purchase. Purchases are retried by workers goroutines at once.
func settle(ctx context.Context, p *poster, instance int, baseURL target, pending []*purchase) {
	queue := make(chan *purchase)

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for pur := range queue {
				settleOne(ctx, p, instance, baseURL, pur)
			}
		})
	}

	for _, pur := range pending {
		queue <- pur
	}
	close(queue)
	wg.Wait()
}

func settleOne(ctx context.Context, p *poster, instance int, baseURL target, pur *purchase) {
	for range settleAttempts {
		a := p.post(ctx, baseURL(), pur.transactionID, pur.body)
		a.instance, a.retry = instance, true
		pur.attempts = append(pur.attempts, a)

		if a.err == nil && a.status != http.StatusServiceUnavailable &&
			a.status != http.StatusTooManyRequests {
			return
		}

		sleep(ctx, settlePause)
	}
}

// notAcknowledged returns the purchases that no request acknowledged.
func notAcknowledged(purchases []*purchase) []*purchase {
	var pending []*purchase
	for _, p := range purchases {
		if _, ok := p.acknowledgement(); !ok {
			pending = append(pending, p)
		}
	}

	return pending
}
