package e2e_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/txsync/txsync/adapters/embeddedstore"
	"github.com/txsync/txsync/bootstrap/servicetest"
	"github.com/txsync/txsync/tests/containers"
)

// storeTimeout is txsync's store timeout in these tests. It is long so that a slow run,
// such as one with the race detector, gets few 503s.
const storeTimeout = "10s"

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
// uses the store as it would an external MongoDB, so the test can read it. It needs no
// Docker.
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
		"TXSYNC_MONGODB_URI":   store.URI(),
		"TXSYNC_STORE_TIMEOUT": storeTimeout,
	})
	partnerURL, adminURL := servicetest.Serve(t, svc)
	return target{
		partnerURL: partnerURL,
		adminURL:   adminURL,
		adminToken: svc.AdminToken(),
		storeURI:   store.URI(),
	}
}

// startInContainers runs the txsync image through tests/containers: the store and the
// service in containers of their own on a Docker network, with published ports on
// 127.0.0.1. It fails the test when Docker is not reachable and skips it under -short.
func startInContainers(t *testing.T) target {
	t.Helper()

	ctx := t.Context()
	network := containers.NewNetwork(ctx, t)
	store := containers.StartStore(ctx, t, network)
	service := containers.StartService(ctx, t, network, store.NetworkURI, map[string]string{
		"TXSYNC_BCRYPT_COST":   "4",
		"TXSYNC_STORE_TIMEOUT": storeTimeout,
	})
	return target{
		partnerURL: service.BaseURL(),
		adminURL:   service.AdminURL(),
		adminToken: service.AdminToken,
		storeURI:   store.HostURI(),
	}
}
