package containers

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

const (
	// storeAlias is the store container's host name on its network.
	storeAlias = "store"

	storePort = "27017/tcp"

	// startupTimeout bounds the wait for a container to become ready.
	startupTimeout = 90 * time.Second

	// pollInterval is the pause between two readiness checks.
	pollInterval = 200 * time.Millisecond
)

// Store is a container that runs only the store (txsync store).
type Store struct {
	*Container

	// NetworkURI is the store's MongoDB URI for containers on its network:
	// mongodb://store:27017/.
	NetworkURI string
}

// HostURI returns the store's MongoDB URI on 127.0.0.1, for tests that
// check stored documents directly.
func (s *Store) HostURI() string {
	return "mongodb://" + s.hostAddress(storePort) + "/"
}

// StartStore starts the store on net with the alias "store" and waits until
// a MongoDB ping succeeds. It fails tb when the store does not start.
func StartStore(ctx context.Context, tb testing.TB, net *testcontainers.DockerNetwork) *Store {
	tb.Helper()

	provider := requireDocker(tb)
	image := Image(ctx, tb)

	request := testcontainers.ContainerRequest{
		Image:          image,
		Cmd:            []string{"store"},
		Env:            map[string]string{"TXSYNC_STORE_ADDR": "0.0.0.0:27017"},
		ExposedPorts:   []string{storePort},
		Networks:       []string{net.Name},
		NetworkAliases: map[string][]string{net.Name: {storeAlias}},
		WaitingFor:     mongoPing{port: storePort},
	}

	return &Store{
		Container:  startContainer(ctx, tb, provider, request),
		NetworkURI: "mongodb://" + storeAlias + ":27017/",
	}
}

// mongoPing waits until the server behind a published port responds to the
// MongoDB ping command. A plain TCP check would pass too early, because
// Docker's port proxy accepts connections before the server listens.
type mongoPing struct {
	port string
}

// String describes the strategy in testcontainers' log lines.
func (p mongoPing) String() string {
	return "MongoDB ping on port " + p.port
}

func (p mongoPing) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()

	host, err := target.Host(ctx)
	if err != nil {
		return fmt.Errorf("read container host: %w", err)
	}

	mapped, err := target.MappedPort(ctx, p.port)
	if err != nil {
		return fmt.Errorf("read host port of container port %s: %w", p.port, err)
	}

	uri := fmt.Sprintf("mongodb://%s:%s/", host, mapped.Port())
	opts := options.Client().ApplyURI(uri).SetServerSelectionTimeout(time.Second)

	mongoClient, err := mongo.Connect(opts)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", uri, err)
	}
	// A failed disconnect of this probe client leaves nothing to clean up.
	defer mongoClient.Disconnect(context.WithoutCancel(ctx))

	for {
		err := mongoClient.Ping(ctx, readpref.Primary())
		if err == nil {
			return nil
		}

		state, stateErr := target.State(ctx)
		if stateErr == nil && !state.Running {
			return fmt.Errorf("store exited with code %d before a ping succeeded", state.ExitCode)
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for ping on %s: %w", uri, errors.Join(ctx.Err(), err))
		case <-time.After(pollInterval):
		}
	}
}
