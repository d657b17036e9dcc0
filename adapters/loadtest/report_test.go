package loadtest_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/txsync/txsync/adapters/loadtest"
)

// sampleReport is a two-step report of a batch load, the second step interrupted.
func sampleReport() loadtest.Report {
	return loadtest.Report{
		Endpoint:    loadtest.EndpointBatch,
		BatchSize:   10,
		StepSeconds: 10,
		Steps: []loadtest.Step{
			{
				Step: 1, OfferedRate: 10, OfferedPurchases: 100, Requests: 100,
				Throughput: 98.5, SuccessRatio: 0.99,
				Latency: loadtest.Latency{P50: 1.5, P95: 3, P99: 4.25, Max: 9},
				Outcomes: loadtest.Outcomes{
					Purchases: 1000, Succeeded: 990, Replayed: 40,
					ErrorsByStatus:  map[int]int{400: 9, loadtest.NoResponse: 1},
					TransportErrors: []string{"connection reset by peer"},
				},
			},
			{
				Step: 2, OfferedRate: 20, OfferedPurchases: 200, Requests: 50,
				Throughput: 190, SuccessRatio: 1,
				Latency:     loadtest.Latency{P50: 2, P95: 5, P99: 7, Max: 12},
				Outcomes:    loadtest.Outcomes{Purchases: 500, Succeeded: 500},
				Interrupted: true,
			},
		},
	}
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer

	if err := loadtest.WriteText(&out, sampleReport()); err != nil {
		t.Fatalf("WriteText: %v", err)
	}

	text := out.String()
	for _, want := range []string{
		"endpoint batch (10 purchases per request)",
		"offered/s",
		"400=9 no-response=1",
		"99.0%",
		"4.25ms",
		"2 (interrupted)",
		"step 1, no response: connection reset by peer",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
	if rows := strings.Count(text, "ms "); rows < 8 {
		t.Errorf("text report has %d latency cells, want 4 per step:\n%s", rows, text)
	}
}

func TestSavePlot(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file    string
		magic   string // the file's first bytes; empty when SavePlot must fail
		wantErr string
	}{
		{"latency.png", "\x89PNG", ""},
		{"latency.SVG", "<?xml", ""},
		{"latency.pdf", "", "must end in .svg or .png"},
		{"latency", "", "must end in .svg or .png"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), tc.file)

			err := loadtest.SavePlot(path, sampleReport())

			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("SavePlot(%q) = %v, want an error containing %q",
						tc.file, err, tc.wantErr)
				}
				if _, statErr := os.Stat(path); !errors.Is(statErr, fs.ErrNotExist) {
					t.Errorf("SavePlot(%q) left a file (stat: %v), want none", tc.file, statErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SavePlot(%q): %v", tc.file, err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte(tc.magic)) {
				t.Errorf("%s starts with %q, want %q", tc.file, data[:min(len(data), 8)], tc.magic)
			}
		})
	}
}

func TestSavePlot_noSteps(t *testing.T) {
	t.Parallel()
	err := loadtest.SavePlot(filepath.Join(t.TempDir(), "empty.svg"), loadtest.Report{})
	if err == nil {
		t.Errorf("SavePlot of a report without steps = nil, want an error")
	}
}
