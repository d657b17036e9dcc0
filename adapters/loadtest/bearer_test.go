package loadtest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/txsync/txsync/adapters/loadtest"
)

// echoServer responds to every request with status 200 and the request's body. It counts
// the requests by path and those without the expected bearer token.
type echoServer struct {
	*httptest.Server
	transactions atomic.Int64
	batches      atomic.Int64
	others       atomic.Int64
	badTokens    atomic.Int64
}

func newEchoServer(t *testing.T, token string) *echoServer {
	t.Helper()
	e := &echoServer{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/tp/services/transaction":
			e.transactions.Add(1)
		case "/tp/services/transactions":
			e.batches.Add(1)
		default:
			e.others.Add(1)
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			e.badTokens.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.Copy(w, r.Body) // a failed echo shows up as a failed request
	}))
	t.Cleanup(e.Close)
	return e
}

// TestRun_bearerToken runs a load with a fixed bearer token. Run must skip the admin API
// and the token endpoint and send the token with every purchase. With StatusOnly, each
// purchase of a 200 counts as succeeded, also in batches whose response it cannot read.
func TestRun_bearerToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		endpoint  loadtest.Endpoint
		batchSize int
	}{
		{"single", loadtest.EndpointSingle, 1},
		{"batch", loadtest.EndpointBatch, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			echo := newEchoServer(t, "fixed-token")
			cfg := validConfig(loadtest.Service{PartnerURL: echo.URL, BearerToken: "fixed-token"})
			cfg.Endpoint, cfg.BatchSize = tc.endpoint, tc.batchSize
			cfg.StatusOnly, cfg.Target = true, "echo"

			report, err := loadtest.Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}

			if report.Merchant != "" || report.ClientID != "" {
				t.Errorf("merchant %q, client %q, want both empty", report.Merchant, report.ClientID)
			}
			if report.Target != "echo" {
				t.Errorf("target = %q, want echo", report.Target)
			}
			step := report.Steps[0]
			checkAccounting(t, step, tc.batchSize)
			if step.Purchases == 0 || step.Succeeded != step.Purchases {
				t.Errorf("succeeded = %d, want all %d purchases", step.Succeeded, step.Purchases)
			}
			if got := echo.others.Load(); got != 0 {
				t.Errorf("the server got %d requests for other paths, want 0", got)
			}
			if got := echo.badTokens.Load(); got != 0 {
				t.Errorf("%d requests lacked the bearer token, want 0", got)
			}
			sent := echo.transactions.Load() + echo.batches.Load()
			if sent != int64(step.Requests) {
				t.Errorf("the server got %d purchase requests, want %d", sent, step.Requests)
			}
		})
	}
}

// TestRun_batchWithoutStatusOnly checks that, without StatusOnly, a batch response that
// is not txsync's counts as no response rather than as success.
func TestRun_batchWithoutStatusOnly(t *testing.T) {
	t.Parallel()
	echo := newEchoServer(t, "fixed-token")
	cfg := validConfig(loadtest.Service{PartnerURL: echo.URL, BearerToken: "fixed-token"})
	cfg.Endpoint, cfg.BatchSize = loadtest.EndpointBatch, 5

	report, err := loadtest.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	step := report.Steps[0]
	if step.Succeeded != 0 {
		t.Errorf("succeeded = %d, want 0", step.Succeeded)
	}
	if got := step.ErrorsByStatus[loadtest.NoResponse]; got != step.Purchases {
		t.Errorf("no-response = %d, want all %d purchases", got, step.Purchases)
	}
}

func TestService_Validate_bearerToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		service loadtest.Service
		wantErr string // empty when the service is valid
	}{
		{"token alone", loadtest.Service{PartnerURL: "http://127.0.0.1:1", BearerToken: "t"}, ""},
		{"token and admin URL", loadtest.Service{PartnerURL: "http://127.0.0.1:1",
			BearerToken: "t", AdminURL: "http://127.0.0.1:2"}, "leave the admin API URL"},
		{"token and admin token", loadtest.Service{PartnerURL: "http://127.0.0.1:1",
			BearerToken: "t", AdminToken: "a"}, "leave the admin API URL"},
		{"token off loopback", loadtest.Service{PartnerURL: "http://10.0.0.1:1",
			BearerToken: "t"}, "not a loopback address"},
		{"neither", loadtest.Service{PartnerURL: "http://127.0.0.1:1"}, "admin API URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.service.Validate()
			if tc.wantErr == "" && err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestWriteText_target(t *testing.T) {
	t.Parallel()
	report := sampleReport()
	report.Target = "noop"
	var out bytes.Buffer

	if err := loadtest.WriteText(&out, report); err != nil {
		t.Fatalf("WriteText: %v", err)
	}

	if want := "target noop, endpoint batch"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("text report starts %q, want %q", firstLine(out.String()), want)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
