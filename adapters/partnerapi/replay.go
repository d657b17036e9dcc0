package partnerapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// DefaultConcurrency is how many purchases a Replayer posts at once when its Concurrency
// is not set.
const DefaultConcurrency = 8

// MaxLineBytes is the longest line a Replayer reads. The partner API rejects bodies over
// 64 KiB with a 413, so a longer line can only be a broken file.
const MaxLineBytes = 1 << 20

// Replayer posts purchases read from JSON Lines, one purchase per non-empty line, with
// bounded concurrency. Its Progress and OnResponse functions are called by one goroutine
// at a time and must return quickly, because posting waits for them.
type Replayer struct {
	// Client records the purchases.
	Client *Client
	// Concurrency is the maximum number of purchases posted at once. Zero or less means
	// DefaultConcurrency.
	Concurrency int
	// Progress, when set, gets the running totals after each change.
	Progress func(Counts)
	// OnResponse, when set, gets each purchase's response with the number of its line,
	// the first line being 1.
	OnResponse func(line int, resp Response)
}

// Run posts every non-empty line of lines as one purchase and returns the summary. Lines
// are sent as they are, without the LF or CRLF that ends them, so a line that is not JSON
// is rejected by the server and counted like any other rejection.
//
// Run first gets an access token, so wrong credentials or an unreachable server fail
// before any line is read. It stops reading at the first purchase that gets no final
// response, since the server is then unreachable, and waits for the posts in flight. The
// summary counts everything posted until then, also when Run returns an error.
func (r *Replayer) Run(ctx context.Context, lines io.Reader) (Summary, error) {
	if err := r.Client.Authenticate(ctx); err != nil {
		return Summary{}, err
	}

	t := newTally(r.Progress, r.OnResponse)
	stop := &firstError{}
	// slots holds one token per post in flight. A slot is taken before the next line is
	// read, so that no line is read, and none posted, once a post has failed.
	slots := make(chan struct{}, r.concurrency())
	var posts sync.WaitGroup

	scanner := bufio.NewScanner(lines)
	scanner.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	lineNumber := 0
	for takeSlot(ctx, slots) {
		if stop.get() != nil || !scanner.Scan() {
			<-slots
			break
		}
		lineNumber++
		if len(bytes.TrimSpace(scanner.Bytes())) == 0 {
			<-slots
			continue
		}
		body, number := bytes.Clone(scanner.Bytes()), lineNumber
		t.read()
		posts.Go(func() {
			defer func() { <-slots }()
			resp, err := r.Client.Record(ctx, body)
			if err != nil {
				t.fail()
				stop.set(fmt.Errorf("line %d: %w", number, err))
				return
			}
			t.add(number, resp)
		})
	}
	posts.Wait()

	var readErr error
	if err := scanner.Err(); err != nil {
		readErr = fmt.Errorf("read line %d: %w", lineNumber+1, err)
	}
	stopErr := stop.get()
	if stopErr == nil && ctx.Err() != nil {
		stopErr = fmt.Errorf("interrupted after line %d: %w", lineNumber, context.Cause(ctx))
	}
	return t.summary(), errors.Join(stopErr, readErr)
}

// takeSlot waits for a free slot and reports whether it got one before ctx ended.
func takeSlot(ctx context.Context, slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		if ctx.Err() != nil { // select picks at random when both are ready
			<-slots
			return false
		}
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *Replayer) concurrency() int {
	if r.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return r.Concurrency
}

// firstError keeps the first error that concurrent goroutines set.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}
