package containers

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

const (
	// stopTimeout is how long Stop waits after SIGTERM before Docker sends
	// SIGKILL.
	stopTimeout = 10 * time.Second

	// exitTimeout bounds the wait for a killed container to be reported as
	// exited.
	exitTimeout = 10 * time.Second
)

// Container is a running txsync container with its published ports. Docker
// picks new host ports every time a container starts, so the addresses are
// read again after each Start.
type Container struct {
	container testcontainers.Container
	provider  *testcontainers.DockerProvider
	ports     []string // container ports such as "8080/tcp"

	mu    sync.Mutex
	hosts map[string]string // container port to "127.0.0.1:NNNNN"
}

// startContainer runs request, fails tb when the container does not become
// ready, and terminates the container in tb's cleanup. When tb has failed by
// then, the cleanup logs the container's output first.
func startContainer(
	ctx context.Context,
	tb testing.TB,
	provider *testcontainers.DockerProvider,
	request testcontainers.ContainerRequest,
) *Container {
	tb.Helper()

	request.HostConfigModifier = publishOnLoopback(request.ExposedPorts)

	started, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: request,
		Started:          true,
	})
	// Cleanups run last in, first out: the logs are read before the
	// container is removed.
	testcontainers.CleanupContainer(tb, started)
	tb.Cleanup(func() {
		logOnFailure(tb, started)
	})

	if err != nil {
		tb.Fatalf("start container %v: %v", request.Cmd, err)
	}

	c := &Container{container: started, provider: provider, ports: request.ExposedPorts}
	if err := c.readHostPorts(ctx); err != nil {
		tb.Fatal(err)
	}

	return c
}

// publishOnLoopback binds every published port to 127.0.0.1 with a port
// that Docker picks, so nothing a test starts is reachable from other hosts.
func publishOnLoopback(ports []string) func(*container.HostConfig) {
	return func(hostConfig *container.HostConfig) {
		hostConfig.PortBindings = network.PortMap{}

		for _, spec := range ports {
			port := network.MustParsePort(spec)
			hostConfig.PortBindings[port] = []network.PortBinding{
				{HostIP: netip.AddrFrom4([4]byte{127, 0, 0, 1})},
			}
		}
	}
}

func logOnFailure(tb testing.TB, c testcontainers.Container) {
	tb.Helper()

	if !tb.Failed() || c == nil {
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), exitTimeout)
	defer cancel()

	logs, err := c.Logs(ctx)
	if err != nil {
		tb.Logf("read logs of container %s: %v", c.GetContainerID(), err)
		return
	}
	defer logs.Close() // Read only, so Close reports nothing worth handling.

	text, err := io.ReadAll(logs)
	if err != nil {
		tb.Logf("read logs of container %s: %v", c.GetContainerID(), err)
	}

	tb.Logf("output of container %s:\n%s", c.GetContainerID(), text)
}

func (c *Container) readHostPorts(ctx context.Context) error {
	host, err := c.container.Host(ctx)
	if err != nil {
		return fmt.Errorf("read container host: %w", err)
	}

	hosts := make(map[string]string, len(c.ports))
	for _, port := range c.ports {
		mapped, err := c.container.MappedPort(ctx, port)
		if err != nil {
			return fmt.Errorf("read host port of container port %s: %w", port, err)
		}

		hosts[port] = net.JoinHostPort(host, mapped.Port())
	}

	c.mu.Lock()
	c.hosts = hosts
	c.mu.Unlock()

	return nil
}

// hostAddress returns the host and port on 127.0.0.1 that port was
// published on at the last start.
func (c *Container) hostAddress(port string) string {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.hosts[port]
}

// ID returns the Docker container id.
func (c *Container) ID() string {
	return c.container.GetContainerID()
}

// Stop sends SIGTERM and waits for the container to exit, sending SIGKILL
// after 10 s.
func (c *Container) Stop(ctx context.Context) error {
	timeout := stopTimeout
	if err := c.container.Stop(ctx, &timeout); err != nil {
		return fmt.Errorf("stop container %s: %w", c.ID(), err)
	}

	return nil
}

// Kill sends SIGKILL, as kill -9 would, and waits until Docker reports the
// container as exited.
func (c *Container) Kill(ctx context.Context) error {
	_, err := c.provider.Client().ContainerKill(ctx, c.ID(), client.ContainerKillOptions{
		Signal: "SIGKILL",
	})
	if err != nil {
		return fmt.Errorf("kill container %s: %w", c.ID(), err)
	}

	ctx, cancel := context.WithTimeout(ctx, exitTimeout)
	defer cancel()

	for {
		state, err := c.container.State(ctx)
		if err != nil {
			return fmt.Errorf("wait for killed container %s to exit: %w", c.ID(), err)
		}

		if !state.Running {
			return nil
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for killed container %s to exit: %w", c.ID(), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Start starts a stopped or killed container again, with the data it wrote
// before, and waits until it is ready as on the first start. The published
// ports change, so read the addresses again afterwards.
func (c *Container) Start(ctx context.Context) error {
	if err := c.container.Start(ctx); err != nil {
		return fmt.Errorf("start container %s: %w", c.ID(), err)
	}

	return c.readHostPorts(ctx)
}

// Restart stops the container gracefully and starts it again.
func (c *Container) Restart(ctx context.Context) error {
	if err := c.Stop(ctx); err != nil {
		return err
	}

	return c.Start(ctx)
}

// Logs returns what the container wrote to stdout and stderr so far.
func (c *Container) Logs(ctx context.Context) (string, error) {
	logs, err := c.container.Logs(ctx)
	if err != nil {
		return "", fmt.Errorf("read logs of container %s: %w", c.ID(), err)
	}
	defer logs.Close() // Read only, so Close reports nothing worth handling.

	text, err := io.ReadAll(logs)
	if err != nil {
		return "", fmt.Errorf("read logs of container %s: %w", c.ID(), err)
	}

	return string(text), nil
}
