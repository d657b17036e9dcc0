// Package containers_test checks the container harness against the real
// txsync binary: the store and the service start, publish their ports on
// 127.0.0.1 only, serve the admin API, and come back after a kill.
package containers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/txsync/txsync/tests/containers"
)

// requestTimeout bounds every HTTP request and store ping in these tests.
const requestTimeout = 10 * time.Second

func TestHarness_startsStoreAndService(t *testing.T) {
	t.Parallel()

	ctx := t.Context()
	net := containers.NewNetwork(ctx, t)
	store := containers.StartStore(ctx, t, net)
	service := containers.StartService(ctx, t, net, store.NetworkURI, nil)

	if got := getStatus(t, service.BaseURL()+"/readyz"); got != http.StatusOK {
		t.Errorf("GET /readyz: got status %d, want %d", got, http.StatusOK)
	}

	pingStore(t, store.HostURI())
	createClient(t, service, "m1", "till")

	for _, id := range []string{store.ID(), service.ID()} {
		assertPublishedOnLoopback(t, id)
	}
}

func TestHarness_serviceComesBack(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		interrupt func(context.Context, *containers.Service) error
	}{
		{
			name: "kill then start",
			interrupt: func(ctx context.Context, s *containers.Service) error {
				if err := s.Kill(ctx); err != nil {
					return err
				}

				return s.Start(ctx)
			},
		},
		{
			name: "restart",
			interrupt: func(ctx context.Context, s *containers.Service) error {
				return s.Restart(ctx)
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			ctx := t.Context()
			net := containers.NewNetwork(ctx, t)
			store := containers.StartStore(ctx, t, net)
			service := containers.StartService(ctx, t, net, store.NetworkURI, nil)
			createClient(t, service, "m1", "before")

			if err := tt.interrupt(ctx, service); err != nil {
				t.Fatalf("interrupt service: %v", err)
			}

			if got := getStatus(t, service.BaseURL()+"/readyz"); got != http.StatusOK {
				t.Errorf("GET /readyz after %s: got status %d, want %d",
					tt.name, got, http.StatusOK)
			}

			createClient(t, service, "m1", "after")
		})
	}
}

func TestHarness_embeddedStore(t *testing.T) {
	t.Parallel()

	ctx := t.Context()
	net := containers.NewNetwork(ctx, t)
	service := containers.StartService(ctx, t, net, "", nil)

	createClient(t, service, "m2", "kiosk")
}

func TestImage_reusesOneBuild(t *testing.T) {
	t.Parallel()

	first := containers.Image(t.Context(), t)
	second := containers.Image(t.Context(), t)

	if first != second {
		t.Errorf("Image called twice: got %q then %q, want one name", first, second)
	}

	if !strings.HasPrefix(first, "txsync-test:") {
		t.Errorf("Image: got %q, want a txsync-test:<hash> name", first)
	}
}

func getStatus(t *testing.T, url string) int {
	t.Helper()

	httpClient := http.Client{Timeout: requestTimeout}

	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close() // Body unread, so Close reports nothing worth handling.

	return resp.StatusCode
}

// createClient registers a partner client through the admin API and checks
// the response that the admin API documents.
func createClient(t *testing.T, service *containers.Service, merchant, name string) {
	t.Helper()

	body, err := json.Marshal(map[string]string{"merchant": merchant, "name": name})
	if err != nil {
		t.Fatalf("encode request: %v", err)
	}

	url := service.AdminURL() + "/admin/clients"

	request, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}

	request.Header.Set("Content-Type", "application/json")
	request.Header.Set("Authorization", "Bearer "+service.AdminToken)

	httpClient := http.Client{Timeout: requestTimeout}

	resp, err := httpClient.Do(request)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close() // Decoded below, so Close reports nothing worth handling.

	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/clients: got status %d, want %d", resp.StatusCode, http.StatusCreated)
	}

	var created struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Merchant     string `json:"merchant"`
		Name         string `json:"name"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatalf("decode POST /admin/clients response: %v", err)
	}

	if created.ClientID == "" {
		t.Error("POST /admin/clients: got an empty client_id, want an id")
	}

	if created.ClientSecret == "" {
		t.Error("POST /admin/clients: got an empty client_secret, want a secret")
	}

	if created.Merchant != merchant {
		t.Errorf("POST /admin/clients: got merchant %q, want %q", created.Merchant, merchant)
	}

	if created.Name != name {
		t.Errorf("POST /admin/clients: got name %q, want %q", created.Name, name)
	}
}

func pingStore(t *testing.T, uri string) {
	t.Helper()

	mongoClient, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatalf("connect to store %s: %v", uri, err)
	}
	defer mongoClient.Disconnect(context.WithoutCancel(t.Context())) // Probe client.

	ctx, cancel := context.WithTimeout(t.Context(), requestTimeout)
	defer cancel()

	if err := mongoClient.Ping(ctx, readpref.Primary()); err != nil {
		t.Errorf("ping store at %s: %v", uri, err)
	}
}

// assertPublishedOnLoopback checks that Docker bound every published port of
// the container to 127.0.0.1 and to no other address.
func assertPublishedOnLoopback(t *testing.T, containerID string) {
	t.Helper()

	docker, err := testcontainers.NewDockerClientWithOpts(t.Context())
	if err != nil {
		t.Fatalf("connect to docker: %v", err)
	}
	defer docker.Close() // Teardown: a failed Close changes no result.

	inspected, err := docker.ContainerInspect(t.Context(), containerID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect container %s: %v", containerID, err)
	}

	loopback := netip.MustParseAddr("127.0.0.1")

	ports := inspected.Container.NetworkSettings.Ports
	if len(ports) == 0 {
		t.Errorf("container %s: got no published ports, want at least one", containerID)
	}

	for port, bindings := range ports {
		for _, binding := range bindings {
			if binding.HostIP != loopback {
				t.Errorf("container %s port %s: got host address %s, want %s",
					containerID, port, binding.HostIP, loopback)
			}
		}
	}
}
