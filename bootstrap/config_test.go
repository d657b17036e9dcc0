package bootstrap_test

import (
	"strings"
	"testing"

	"github.com/txsync/txsync/bootstrap"
)

func TestLoadConfigFrom_checksSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		variables map[string]string
		wantErr   string // empty when the settings are valid
	}{
		{"defaults", nil, ""},
		{"no in-flight bound", map[string]string{"TXSYNC_MAX_IN_FLIGHT": "0"}, ""},
		{"in-flight bound of the largest batch", map[string]string{"TXSYNC_MAX_IN_FLIGHT": "500"}, ""},
		{"in-flight bound below the largest batch", map[string]string{"TXSYNC_MAX_IN_FLIGHT": "499"},
			"TXSYNC_MAX_IN_FLIGHT must be 0 (no bound) or at least 500, the largest batch, got 499"},
		{"negative in-flight bound", map[string]string{"TXSYNC_MAX_IN_FLIGHT": "-1"},
			"TXSYNC_MAX_IN_FLIGHT must be 0"},
		{"unknown time zone", map[string]string{"TXSYNC_TIMEZONE": "Mars/Olympus"},
			`TXSYNC_TIMEZONE "Mars/Olympus" is not a known time zone`},
		{"zero store timeout", map[string]string{"TXSYNC_STORE_TIMEOUT": "0s"},
			"TXSYNC_STORE_TIMEOUT must be a positive duration"},
		{"rate limit not a number", map[string]string{"TXSYNC_RATE_LIMIT": "abc"},
			`TXSYNC_RATE_LIMIT="abc" is not a valid float64`},
		{"timeout without a unit", map[string]string{"TXSYNC_READ_TIMEOUT": "10"},
			`TXSYNC_READ_TIMEOUT="10" is not a valid time.Duration`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			variables := map[string]string{"TXSYNC_DATA_DIR": t.TempDir()}
			for k, v := range tc.variables {
				variables[k] = v
			}

			_, err := bootstrap.LoadConfigFrom(variables)

			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
