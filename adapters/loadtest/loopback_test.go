package loadtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/txsync/txsync/adapters/loadtest"
)

func TestCheckLoopbackURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url     string
		wantErr string // empty when the URL is accepted
	}{
		{"http://127.0.0.1:8080", ""},
		{"http://127.8.9.10:1", ""},
		{"https://127.0.0.1", ""},
		{"http://127.0.0.1:8080/", ""},
		{"http://[::1]:8080", ""},
		{"http://[::ffff:127.0.0.1]:8080", ""},
		{"http://localhost:8080", ""},
		{"http://LocalHost", ""},
		{"http://10.0.0.1:8080", "not a loopback address"},
		{"http://172.16.0.1", "not a loopback address"},
		{"http://192.168.1.10:8080", "not a loopback address"},
		{"http://169.254.169.254", "not a loopback address"},
		{"http://0.0.0.0:8080", "not a loopback address"},
		{"http://[::]:8080", "not a loopback address"},
		{"http://[fe80::1]:8080", "not a loopback address"},
		{"http://example.com", "not a loopback address"},
		{"http://localhost.example.com", "not a loopback address"},
		{"http://127.0.0.1.nip.io", "not a loopback address"},
		{"ftp://127.0.0.1", "not an http or https URL"},
		{"127.0.0.1:8080", "not an http or https URL"},
		{"", "not an http or https URL"},
		{"http://127.0.0.1:8080/tp", "without path, query or fragment"},
		{"http://127.0.0.1:8080?a=b", "without path, query or fragment"},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			t.Parallel()
			err := loadtest.CheckLoopbackURL(tc.url)
			if tc.wantErr == "" && err != nil {
				t.Errorf("CheckLoopbackURL(%q) = %v, want nil", tc.url, err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("CheckLoopbackURL(%q) = %v, want an error containing %q",
					tc.url, err, tc.wantErr)
			}
		})
	}
}

func TestCheckLoopbackAddress(t *testing.T) {
	t.Parallel()
	cases := []struct {
		address string
		wantOK  bool
	}{
		{"127.0.0.1:8080", true},
		{"127.255.0.1:80", true},
		{"[::1]:8080", true},
		{"[::ffff:127.0.0.1]:8080", true},
		{"10.0.0.1:8080", false},
		{"93.184.215.14:80", false},
		{"[2001:db8::1]:80", false},
		{"[::]:80", false},
		{"localhost:80", false}, // a dialer passes resolved addresses; a name is never one
		{"127.0.0.1", false},
	}
	for _, tc := range cases {
		t.Run(tc.address, func(t *testing.T) {
			t.Parallel()
			err := loadtest.CheckLoopbackAddress(tc.address)
			if (err == nil) != tc.wantOK {
				t.Errorf("CheckLoopbackAddress(%q) = %v, want accepted %t", tc.address, err, tc.wantOK)
			}
		})
	}
}

// TestRun_nonLoopbackPartnerURL proves that Run rejects a partner URL off loopback before
// it sends anything, even to the admin API on loopback.
func TestRun_nonLoopbackPartnerURL(t *testing.T) {
	t.Parallel()
	var requests atomic.Int64
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(admin.Close)

	cfg := validConfig(loadtest.Service{
		PartnerURL: "http://10.20.30.40:8080",
		AdminURL:   admin.URL,
		AdminToken: "token",
	})
	_, err := loadtest.Run(context.Background(), cfg)

	if err == nil || !strings.Contains(err.Error(), `host "10.20.30.40"`) {
		t.Errorf("Run error = %v, want one that names the host 10.20.30.40", err)
	}
	if got := requests.Load(); got != 0 {
		t.Errorf("admin API got %d requests, want 0", got)
	}
}

// validConfig returns a short load test of service with every other setting valid.
func validConfig(service loadtest.Service) loadtest.Config {
	return loadtest.Config{
		Service:       service,
		Endpoint:      loadtest.EndpointSingle,
		Rates:         []int{20},
		StepDuration:  time.Second,
		Mix:           loadtest.Mix{RetryShare: 0.1, BadShare: 0.1, ReturningShare: 0.5},
		Seed:          7,
		Workers:       4,
		Timeout:       10 * time.Second,
		RateLimitWait: 20 * time.Second,
	}
}
