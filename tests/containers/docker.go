// Package containers runs txsync in Docker containers for the integration
// tests under tests/. It builds the txsync image once per test process,
// starts the store and the service on a user network of their own, and
// terminates every container and network in t.Cleanup.
//
// Every helper needs a reachable Docker engine. Without one the calling test
// fails with a message that names the cause, because a CI run that skipped
// its container tests would prove nothing. With go test -short the helpers skip
// the calling test instead.
package containers

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// dockerCheckTimeout bounds the first call to the Docker engine.
const dockerCheckTimeout = 30 * time.Second

// testcontainersDefaults are set in the environment when it lacks them.
// No registry can be reached from CI, so the Ryuk reaper image cannot be
// pulled. Instead, t.Cleanup removes the containers. Published ports are bound
// to 127.0.0.1 only, so the mapped address must be that one too.
var testcontainersDefaults = map[string]string{
	"TESTCONTAINERS_RYUK_DISABLED": "true",
	"TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1",
}

// dockerProvider connects once per test process and keeps the connection,
// or the error that explains why there is none.
var dockerProvider = sync.OnceValues(connectDocker)

func connectDocker() (*testcontainers.DockerProvider, error) {
	for name, value := range testcontainersDefaults {
		if _, ok := os.LookupEnv(name); ok {
			continue
		}

		if err := os.Setenv(name, value); err != nil {
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
	}

	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return nil, fmt.Errorf("connect to docker: %w", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), dockerCheckTimeout)
	defer cancel()

	if err := provider.Health(ctx); err != nil {
		return nil, fmt.Errorf("check docker health: %w", err)
	}

	return provider, nil
}

// requireDocker returns the shared provider. It skips tb under -short and
// fails tb when Docker is not reachable.
func requireDocker(tb testing.TB) *testcontainers.DockerProvider {
	tb.Helper()

	if testing.Short() {
		tb.Skip("container test skipped: go test -short runs no Docker containers")
	}

	provider, err := dockerProvider()
	if err != nil {
		tb.Fatalf("Docker is not reachable, so this container test cannot run: %v\n"+
			"Start dockerd (.ci/run shows how) or pass -short to skip container tests.", err)
	}

	return provider
}
