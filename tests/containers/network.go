package containers

import (
	"context"
	"testing"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
)

// NewNetwork creates a Docker user network, on which containers reach each
// other by their aliases, and removes it in tb's cleanup.
func NewNetwork(ctx context.Context, tb testing.TB) *testcontainers.DockerNetwork {
	tb.Helper()

	requireDocker(tb)

	created, err := network.New(ctx)
	testcontainers.CleanupNetwork(tb, created)

	if err != nil {
		tb.Fatalf("create docker network: %v", err)
	}

	return created
}
