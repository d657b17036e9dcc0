package containers

import (
	"context"
	"crypto/rand"
	"maps"
	"testing"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

const (
	httpPort  = "8080/tcp"
	adminPort = "8081/tcp"
)

// Service is a container that runs the partner API and the admin API
// (txsync serve).
type Service struct {
	*Container

	// AdminToken is the bearer token that the admin API accepts.
	AdminToken string
}

// BaseURL returns the partner API's URL on 127.0.0.1, such as
// http://127.0.0.1:32768, without a trailing slash.
func (s *Service) BaseURL() string {
	return "http://" + s.hostAddress(httpPort)
}

// AdminURL returns the admin API's URL on 127.0.0.1, without a trailing
// slash.
func (s *Service) AdminURL() string {
	return "http://" + s.hostAddress(adminPort)
}

// StartService starts txsync serve on net and waits until GET /healthz and
// then GET /readyz return 200. It fails tb when the service does not start.
//
// storeURI is the store as the service reaches it, usually Store.NetworkURI.
// When storeURI is empty, the service starts its embedded store itself. The
// service listens on 0.0.0.0:8080 and 0.0.0.0:8081 with a random admin
// token; env adds variables and overrides these defaults.
func StartService(
	ctx context.Context,
	tb testing.TB,
	net *testcontainers.DockerNetwork,
	storeURI string,
	env map[string]string,
) *Service {
	tb.Helper()

	provider := requireDocker(tb)
	image := Image(ctx, tb)

	serviceEnv := map[string]string{
		"TXSYNC_HTTP_ADDR":   "0.0.0.0:8080",
		"TXSYNC_ADMIN_ADDR":  "0.0.0.0:8081",
		"TXSYNC_ADMIN_TOKEN": rand.Text(),
	}
	if storeURI != "" {
		serviceEnv["TXSYNC_MONGODB_URI"] = storeURI
	}

	maps.Copy(serviceEnv, env)

	request := testcontainers.ContainerRequest{
		Image:        image,
		Cmd:          []string{"serve"},
		Env:          serviceEnv,
		ExposedPorts: []string{httpPort, adminPort},
		Networks:     []string{net.Name},
		WaitingFor: wait.ForAll(
			wait.ForHTTP("/healthz").WithPort(httpPort).WithPollInterval(pollInterval),
			wait.ForHTTP("/readyz").WithPort(httpPort).WithPollInterval(pollInterval),
		).WithDeadline(startupTimeout),
	}

	return &Service{
		Container:  startContainer(ctx, tb, provider, request),
		AdminToken: serviceEnv["TXSYNC_ADMIN_TOKEN"],
	}
}
