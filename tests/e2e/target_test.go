package e2e_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/txsync/txsync/adapters/embeddedstore"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

// target is a running txsync as the end-to-end tests reach it.
type target struct {
	partnerURL string
	adminURL   string
	adminToken string
	// storeURI is the MongoDB URI of txsync's store, for counting documents.
	storeURI string
}

// startInProcess starts an embedded store of the test's own and txsync, built through
// bootstrap.New as the binary builds it, with both APIs on 127.0.0.1 listeners. txsync
// uses the store as it would an external MongoDB, so the test can read it.
//
// Limit: txsync runs in process rather than in containers, so this test covers neither
// the binary nor its image, and reaches the store on loopback, not across a network.
func startInProcess(t *testing.T) target {
	t.Helper()

	store, err := embeddedstore.Start(t.Context(), t.TempDir(), "127.0.0.1:0",
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start store: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Stop(context.Background()); err != nil {
			t.Errorf("stop store: %v", err)
		}
	})

	svc := servicetest.New(t, map[string]string{
		"TXSYNC_MONGODB_URI": store.URI(),
		// Long enough that a slow run, such as one with the race detector, gets few 503s.
		"TXSYNC_STORE_TIMEOUT": "10s",
	})
	partnerURL, adminURL := servicetest.Serve(t, svc)
	return target{
		partnerURL: partnerURL,
		adminURL:   adminURL,
		adminToken: svc.AdminToken(),
		storeURI:   store.URI(),
	}
}
