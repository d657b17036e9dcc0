package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// binary is txsync built once for every test of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "txsync-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "txsync")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build txsync:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// txsync runs a txsync command to completion with env and returns its standard output.
func txsync(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("txsync %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

type clientView struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Merchant     string `json:"merchant"`
	Disabled     bool   `json:"disabled"`
}

func TestClientsCommands(t *testing.T) {
	t.Parallel()
	env := []string{"TXSYNC_DATA_DIR=" + t.TempDir(), "TXSYNC_BCRYPT_COST=4"}

	var created clientView
	out := txsync(t, env, "clients", "create", "--merchant", "m1", "--name", "till 1")
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create output is not JSON: %v: %s", err, out)
	}
	if created.ClientID == "" || created.ClientSecret == "" || created.Merchant != "m1" {
		t.Errorf("created = %+v, want an id, a secret and merchant m1", created)
	}

	txsync(t, env, "clients", "disable", created.ClientID)

	var listed []clientView
	out = txsync(t, env, "clients", "list")
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatalf("list output is not JSON: %v: %s", err, out)
	}
	if len(listed) != 1 || listed[0].ClientID != created.ClientID || !listed[0].Disabled {
		t.Errorf("listed = %+v, want the one client, disabled", listed)
	}
	if strings.Contains(out, created.ClientSecret) {
		t.Errorf("list output contains the secret")
	}
}

// server is a running `txsync serve`.
type server struct {
	cmd     *exec.Cmd
	url     string
	env     []string
	stdout  *servicetest.Buffer
	stopped chan error
}

func startServer(t *testing.T) *server {
	t.Helper()
	httpAddr, adminAddr := servicetest.FreeAddr(t), servicetest.FreeAddr(t)
	env := []string{
		"TXSYNC_DATA_DIR=" + t.TempDir(),
		"TXSYNC_BCRYPT_COST=4",
		"TXSYNC_HTTP_ADDR=" + httpAddr,
		"TXSYNC_ADMIN_ADDR=" + adminAddr,
	}
	s := &server{url: "http://" + httpAddr, env: env, stdout: &servicetest.Buffer{}, stopped: make(chan error, 1)}
	s.cmd = exec.Command(binary, "serve")
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout = s.stdout
	s.cmd.Stderr = s.stdout
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start txsync serve: %v", err)
	}
	go func() { s.stopped <- s.cmd.Wait() }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill() // already exited in most tests
	})

	for range 100 {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("txsync serve not ready within 10 s; output:\n%s", s.stdout.String())
	return nil
}

// token creates a client through the CLI, which uses the running server's store, and
// returns an access token for it.
func (s *server) token(t *testing.T) string {
	t.Helper()
	var created clientView
	out := txsync(t, s.env, "clients", "create", "--merchant", "m1", "--name", "load")
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create client: %v: %s", err, out)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {created.ClientID},
		"client_secret": {created.ClientSecret}}
	resp, err := http.PostForm(s.url+"/tp/oauth/token", form)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&token); err != nil || token.AccessToken == "" {
		t.Fatalf("token: status %d, %v", resp.StatusCode, err)
	}
	return token.AccessToken
}

func TestServe_SIGTERMFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	token := s.token(t)

	// Clients post purchases until the server stops accepting connections. Each request
	// opens its own connection. One that is refused, or reset before any response, was never
	// accepted by the server: the kernel resets connections still queued on the listener
	// when it closes. Neither got a response, so neither was acknowledged.
	const workers = 8
	var (
		mu                 sync.Mutex
		ok, refused, other int
		wg                 sync.WaitGroup
	)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	for w := range workers {
		wg.Go(func() {
			for i := range 10000 {
				body := fmt.Sprintf(`{"transaction_id":"w%d-%d","customer_identifier":"openid-%d","identifier_type":1,"purchase_amount":1}`, w, i, i%50)
				req, _ := http.NewRequest(http.MethodPost, s.url+"/tp/services/transaction", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				mu.Lock()
				switch {
				case err != nil && notAccepted(err):
					refused++
				case err != nil:
					other++
					t.Errorf("request failed other than by a refused connection: %v", err)
				case resp.StatusCode == http.StatusOK:
					ok++
				default:
					other++
					t.Errorf("status %d", resp.StatusCode)
				}
				mu.Unlock()
				if resp != nil {
					resp.Body.Close()
				}
				if err != nil {
					return
				}
			}
		})
	}

	time.Sleep(500 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("send SIGTERM: %v", err)
	}
	select {
	case err := <-s.stopped:
		if err != nil {
			t.Errorf("txsync exited with %v, want 0; output:\n%s", err, s.stdout.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("txsync did not stop within 30 s of SIGTERM")
	}
	wg.Wait()

	t.Logf("%d purchases answered 200, %d connections not accepted after the stop", ok, refused)
	if ok == 0 {
		t.Errorf("no purchase succeeded before SIGTERM")
	}
	if other != 0 {
		t.Errorf("%d requests failed in flight, want 0", other)
	}
	out := s.stdout.String()
	for _, line := range []string{`"msg":"txsync stopping"`, `"msg":"txsync stopped"`} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %s", line)
		}
	}
	if strings.Contains(out, `"level":"ERROR"`) {
		t.Errorf("output has errors:\n%s", out)
	}
}

func notAccepted(err error) bool {
	return strings.Contains(err.Error(), "connection refused") ||
		strings.Contains(err.Error(), "connection reset by peer")
}

func TestServe_holdsThousandKeepAliveConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1000 connections")
	}
	t.Parallel()
	s := startServer(t)
	addr := strings.TrimPrefix(s.url, "http://")

	// Each connection sends one request, reads the response and stays open.
	const connections = 1000
	conns := make([]net.Conn, 0, connections)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	request := []byte("GET /healthz HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")
	for i := range connections {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(request); err != nil {
			t.Fatalf("connection %d: write: %v", i, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("connection %d: read: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("connection %d: status %d, want 200", i, resp.StatusCode)
		}
	}

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc to read the server's memory from: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
			t.Logf("with %d keep-alive connections open: %s", connections, strings.Join(strings.Fields(line), " "))
		}
	}
}
