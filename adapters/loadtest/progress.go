package loadtest

import (
	"fmt"
	"io"
	"time"
)

// progressInterval is the shortest time between two redraws of a ProgressLine.
const progressInterval = 200 * time.Millisecond

// ProgressLine redraws one terminal line with the running totals of a load test. Use it
// only on a terminal: it moves the cursor with a carriage return and an ANSI erase.
type ProgressLine struct {
	out  io.Writer
	last time.Time
	seen bool
}

// NewProgressLine returns a progress line that writes to out, usually stderr.
func NewProgressLine(out io.Writer) *ProgressLine {
	return &ProgressLine{out: out}
}

// Update redraws the line with p, at most every 200 ms. Call it from one goroutine.
func (l *ProgressLine) Update(p Progress) {
	if time.Since(l.last) < progressInterval {
		return
	}
	l.last, l.seen = time.Now(), true
	line := fmt.Sprintf("bench: step %d/%d at %d req/s, %.1fs of %s, %d requests, %d failed",
		p.Step, p.Steps, p.Rate, p.Elapsed.Seconds(), p.Duration, p.Requests, p.Errors)
	// \r returns to the start of the line and \x1b[K clears what a longer line left.
	fmt.Fprint(l.out, "\r"+line+"\x1b[K")
}

// Finish clears the line, if one was drawn, so that later output starts on a clean line.
func (l *ProgressLine) Finish() {
	if l.seen {
		fmt.Fprint(l.out, "\r\x1b[K")
	}
}
