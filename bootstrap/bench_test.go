package bootstrap_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// BenchmarkRecordTransaction posts new purchases through the partner API's Fiber app into
// the embedded store, with tracing off and with tracing at 100% sampling exported over
// OTLP/HTTP to a receiver on loopback that discards what it gets.
func BenchmarkRecordTransaction(b *testing.B) {
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	// The OTLP exporter reads its settings from the process environment.
	modes := []struct {
		name string
		env  map[string]string
	}{
		{"tracing=off", nil},
		{"tracing=on", map[string]string{
			"OTEL_TRACES_EXPORTER":        "otlp",
			"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL,
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_TRACES_SAMPLER":         "always_on",
		}},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			for k, v := range mode.env {
				b.Setenv(k, v)
			}
			svc := servicetest.New(b, mode.env)
			client := servicetest.NewClient(b, svc, "m1")
			app := svc.PartnerAPI()
			var seq atomic.Int64

			b.ReportAllocs()
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					body := fmt.Sprintf(`{"transaction_id":"b-%d","customer_identifier":"openid-%d",`+
						`"identifier_type":1,"purchase_amount":9.9,"customer_nick_name":"n"}`, n, n%1000)
					req := httptest.NewRequest(http.MethodPost, "/tp/services/transaction", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+client.Token)
					resp, err := app.Test(req, -1)
					if err != nil {
						b.Fatal(err)
					}
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
					resp.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "purchases/s")
		})
	}
}
