package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/txsync/txsync/adapters/partnerapi"
)

// Bounds of the replay command.
const (
	maxReplayConcurrency = 256
	replayRequestTimeout = 30 * time.Second
	progressInterval     = 200 * time.Millisecond
)

// replayOptions are the flags of txsync replay.
type replayOptions struct {
	file         string
	baseURL      string
	clientID     string
	clientSecret string
	concurrency  int
	json         bool
}

// replay posts the purchases of a JSON Lines file to a partner API and prints a summary.
// It returns an error for a usage error and when the service was unreachable, but not
// for purchases the service rejected: those are counted in the summary.
func replay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseReplayFlags(args, stderr)
	if err != nil {
		return err
	}
	file, err := os.Open(opts.file)
	if err != nil {
		return fmt.Errorf("open purchases: %w", err)
	}
	defer file.Close() // read only; a close error changes nothing

	client := partnerapi.New(opts.baseURL, opts.clientID, opts.clientSecret,
		&http.Client{Timeout: replayRequestTimeout})
	replayer := &partnerapi.Replayer{Client: client, Concurrency: opts.concurrency}
	progress := newProgressLine(stderr)
	if progress != nil {
		replayer.Progress = progress.update
	}

	summary, runErr := replayer.Run(ctx, file)
	if progress != nil {
		progress.finish()
	}
	if runErr != nil && summary.Lines == 0 && summary.Failed == 0 {
		return runErr // nothing was posted, so there is nothing to summarize
	}
	if err := printSummary(stdout, summary, opts.json); err != nil {
		return fmt.Errorf("print summary: %w", err)
	}
	if errors.Is(runErr, partnerapi.ErrUnreachable) {
		return fmt.Errorf("%w\nThe replay stopped there. Run it again: the service returns "+
			"purchases it already recorded as replays and records each only once.", runErr)
	}
	return runErr
}

func parseReplayFlags(args []string, stderr io.Writer) (replayOptions, error) {
	var opts replayOptions
	flags := flag.NewFlagSet("replay", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&opts.file, "file", "", "JSON Lines file, one purchase per line (required)")
	flags.StringVar(&opts.baseURL, "url", "",
		"base URL of the partner API, such as http://127.0.0.1:8080 (required)")
	flags.StringVar(&opts.clientID, "client-id", "", "partner client id (required)")
	// Limit: the secret is a command-line argument, so other users of the host can read
	// it in the process list while the replay runs. There is no flag to read it from a
	// file yet.
	flags.StringVar(&opts.clientSecret, "client-secret", "", "partner client secret (required)")
	flags.IntVar(&opts.concurrency, "concurrency", partnerapi.DefaultConcurrency,
		fmt.Sprintf("maximum number of purchases posted at once, 1 to %d", maxReplayConcurrency))
	flags.BoolVar(&opts.json, "json", false, "print the summary as JSON")
	if err := flags.Parse(args); err != nil {
		return opts, err
	}

	var errs []error
	if flags.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", flags.Args()))
	}
	for _, required := range []struct{ name, value string }{
		{"--file", opts.file},
		{"--url", opts.baseURL},
		{"--client-id", opts.clientID},
		{"--client-secret", opts.clientSecret},
	} {
		if required.value == "" {
			errs = append(errs, fmt.Errorf("%s is required", required.name))
		}
	}
	if opts.concurrency < 1 || opts.concurrency > maxReplayConcurrency {
		errs = append(errs, fmt.Errorf("--concurrency must be 1 to %d, got %d",
			maxReplayConcurrency, opts.concurrency))
	}
	if opts.baseURL != "" {
		errs = append(errs, checkBaseURL(opts.baseURL))
	}
	if err := errors.Join(errs...); err != nil {
		return opts, fmt.Errorf("%w\nRun txsync replay -h to list the flags.", err)
	}
	return opts, nil
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url must be an http or https URL such as http://127.0.0.1:8080, "+
			"got %q", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--url must have no query or fragment, got %q", raw)
	}
	return nil
}

// printSummary writes summary as indented JSON or as an aligned table.
func printSummary(w io.Writer, summary partnerapi.Summary, asJSON bool) error {
	if asJSON {
		out := json.NewEncoder(w)
		out.SetIndent("", "  ")
		return out.Encode(summary)
	}

	var text strings.Builder
	for _, row := range []struct {
		label string
		count int
	}{
		{"lines read", summary.Lines},
		{"accepted (new)", summary.Accepted},
		{"replayed", summary.Replayed},
		{"rejected", summary.Rejected},
		{"failed (network)", summary.Failed},
		{"retries", summary.Retries},
	} {
		fmt.Fprintf(&text, "%-17s %9d\n", row.label, row.count)
	}
	if len(summary.RejectedByStatus) > 0 {
		text.WriteString("\nrejected by status:\n")
	}
	for _, status := range slices.Sorted(maps.Keys(summary.RejectedByStatus)) {
		fmt.Fprintf(&text, "  %d %s: %d\n", status, http.StatusText(status),
			summary.RejectedByStatus[status])
	}
	if len(summary.RejectedByField) > 0 {
		text.WriteString("\nrejected by field:\n")
	}
	for _, fc := range summary.RejectedByField {
		fmt.Fprintf(&text, "  %s %s: %d\n", fc.Field, fc.Reason, fc.Count)
	}
	_, err := io.WriteString(w, text.String())
	return err
}

// progressLine rewrites one line on a terminal with the running totals of a replay.
type progressLine struct {
	out    io.Writer
	mu     sync.Mutex
	last   time.Time
	counts partnerapi.Counts
}

// newProgressLine returns a progress line on stderr, or nil when stderr is not a
// terminal, so that logs and redirected output stay free of carriage returns.
func newProgressLine(stderr io.Writer) *progressLine {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressLine{out: stderr}
}

// update keeps counts and redraws the line at most every progressInterval.
func (p *progressLine) update(counts partnerapi.Counts) {
	p.mu.Lock()
	defer p.mu.Unlock()

	p.counts = counts
	if time.Since(p.last) < progressInterval {
		return
	}
	p.last = time.Now()
	p.draw()
}

// finish draws the final totals and ends the line.
func (p *progressLine) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()

	p.draw()
	fmt.Fprintln(p.out)
}

func (p *progressLine) draw() {
	c := p.counts
	done := c.Accepted + c.Replayed + c.Rejected + c.Failed
	line := fmt.Sprintf("replay: %d/%d done, %d accepted, %d replayed, %d rejected, %d failed",
		done, c.Lines, c.Accepted, c.Replayed, c.Rejected, c.Failed)
	// \r returns to the start of the line and \x1b[K clears what a longer line left.
	fmt.Fprint(p.out, "\r"+line+"\x1b[K")
}
