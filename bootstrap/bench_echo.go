package bootstrap

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/adapters/loadtest"
)

// echoShutdownTimeout bounds how long the echo server waits for requests in flight.
const echoShutdownTimeout = 10 * time.Second

// startEcho serves a bare Fiber app on a free loopback port, for txsync bench --target
// echo: it decodes each request body as JSON with encoding/json and sends it back with
// status 200, or 400 when the body is not JSON. It has no authentication, validation,
// rate limit, telemetry or store, so it is the baseline for txsync's HTTP path. stop
// shuts the server down.
func startEcho(stderr io.Writer) (loadtest.Service, func() error, error) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/*", echoJSON)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return loadtest.Service{}, nil, fmt.Errorf("listen for the echo server: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	stop := func() error {
		return errors.Join(app.ShutdownWithTimeout(echoShutdownTimeout), <-served)
	}

	fmt.Fprintf(stderr, "starting a Fiber JSON echo server on %s\n", ln.Addr())
	service := loadtest.Service{
		PartnerURL: "http://" + ln.Addr().String(),
		// The echo ignores it; it only makes the requests the same as txsync's.
		BearerToken: rand.Text(),
	}
	return service, stop, nil
}

// echoJSON decodes the body as JSON and sends it back.
func echoJSON(c *fiber.Ctx) error {
	var body map[string]any
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": err.Error()})
	}
	return c.JSON(body)
}
