package hostile_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// readTimeout is the TXSYNC_READ_TIMEOUT of the transport tests.
const readTimeout = 2 * time.Second

// maxCutOff is how long a slow client may hold its connection before the test fails: the
// read timeout plus a generous margin for a loaded machine.
const maxCutOff = 10 * time.Second

// dripResult is how a dripping connection ended.
type dripResult struct {
	closed  bool          // the server closed the connection
	elapsed time.Duration // from the first byte to the close, or to the end of the drip
	status  int           // the status of a response the server sent first, or 0
}

// drip writes prefix at once, then the bytes of rest one per second, on conn and watches
// for the server closing the connection. It stops at the close or after maxDrip rounds of
// about a second each.
func drip(conn net.Conn, prefix, rest []byte, maxDrip int) (dripResult, error) {
	reader := bufio.NewReader(conn)
	start := time.Now()
	closed := func() (dripResult, error) {
		return dripResult{closed: true, elapsed: time.Since(start)}, nil
	}

	if len(prefix) > 0 {
		if _, err := conn.Write(prefix); err != nil {
			return closed()
		}
	}
	for i := 0; i < maxDrip; i++ {
		if i < len(rest) {
			if err := conn.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
				return dripResult{}, fmt.Errorf("set write deadline: %w", err)
			}
			if _, err := conn.Write(rest[i : i+1]); err != nil {
				return closed()
			}
		}
		// Waiting a second for a reply is also the pause between two bytes.
		if err := conn.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
			return dripResult{}, fmt.Errorf("set read deadline: %w", err)
		}
		if _, err := reader.Peek(1); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return closed()
		}
		return readUntilClosed(conn, reader, start)
	}
	return dripResult{elapsed: time.Since(start)}, nil
}

// readUntilClosed reads the response the server sent to a dripping client and then waits
// up to maxCutOff for the server to close the connection.
func readUntilClosed(conn net.Conn, reader *bufio.Reader, start time.Time) (dripResult, error) {
	if err := conn.SetReadDeadline(time.Now().Add(maxCutOff)); err != nil {
		return dripResult{}, fmt.Errorf("set read deadline: %w", err)
	}
	result := dripResult{}
	if resp, err := http.ReadResponse(reader, nil); err == nil {
		result.status = resp.StatusCode
		_, _ = io.Copy(io.Discard, resp.Body) // only the status matters
		resp.Body.Close()
	}
	_, err := reader.ReadByte()
	result.closed = err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
	result.elapsed = time.Since(start)
	return result, nil
}

func TestTransport_slowClientsAreCutOff(t *testing.T) {
	t.Parallel()
	srv := serve(t, map[string]string{"TXSYNC_READ_TIMEOUT": readTimeout.String()})
	client := servicetest.NewClient(t, srv.svc, "m1")
	host := hostOf(t, srv.partnerURL)
	headers := []string{"Authorization: Bearer " + client.Token, "Content-Type: application/json"}
	full := rawRequest(http.MethodPost, "/tp/services/transaction", host, headers, originalExample)
	headerEnd := strings.Index(string(full), "\r\n\r\n") + 4

	tests := []struct {
		name         string
		prefix, rest []byte
	}{
		{"headers one byte a second", nil, full},
		{"headers after the request line", full[:strings.Index(string(full), "\r\n")+2],
			full[strings.Index(string(full), "\r\n")+2:]},
		{"body one byte a second", full[:headerEnd], full[headerEnd:]},
		{"silent connection", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := dialLoopback(t, srv.partnerURL)
			defer conn.Close()
			got, err := drip(conn, tt.prefix, tt.rest, 15)
			if err != nil {
				t.Fatal(err)
			}

			t.Logf("closed %v after %v, status %d", got.closed, got.elapsed.Round(time.Millisecond), got.status)
			if !got.closed {
				t.Fatalf("connection still open after %v, want it closed by the %v read timeout",
					got.elapsed, readTimeout)
			}
			if got.elapsed >= maxCutOff {
				t.Errorf("connection closed after %v, want less than %v", got.elapsed, maxCutOff)
			}
			if got.status >= 200 && got.status < 300 {
				t.Errorf("status = %d, want no success for a request that never arrived", got.status)
			}
		})
	}
}

func TestTransport_slowClientsDoNotBlockOthers(t *testing.T) {
	t.Parallel()
	// The slow clients keep their connections for the whole read timeout, well past the
	// time a purchase may take.
	const slowReadTimeout = 5 * time.Second
	const maxPurchaseTime = 2 * time.Second
	srv := serve(t, map[string]string{"TXSYNC_READ_TIMEOUT": slowReadTimeout.String()})
	client := servicetest.NewClient(t, srv.svc, "m1")
	host := hostOf(t, srv.partnerURL)
	request := rawRequest(http.MethodGet, "/healthz", host, nil, "")

	var wg sync.WaitGroup
	for range 50 {
		conn := dialLoopback(t, srv.partnerURL)
		defer conn.Close()
		wg.Go(func() {
			if _, err := drip(conn, nil, request, 6); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(500 * time.Millisecond) // let the slow connections open first

	start := time.Now()
	checkStillServing(t, srv.partnerURL, client.Token)
	if elapsed := time.Since(start); elapsed > maxPurchaseTime {
		t.Errorf("a purchase took %v while 50 slow clients were connected, want under %v",
			elapsed, maxPurchaseTime)
	}
	wg.Wait()
}

func TestTransport_oversizeHeadersAreRejected(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	client := servicetest.NewClient(t, srv.svc, "m1")
	host := hostOf(t, srv.partnerURL)
	const size = 64 << 10
	auth := "Authorization: Bearer " + client.Token
	manyHeaders := make([]string, 0, size/32)
	for i := range cap(manyHeaders) {
		manyHeaders = append(manyHeaders, "X-Pad-"+strings.Repeat("p", 10)+": "+strings.Repeat("v", 16)+
			string(rune('a'+i%26)))
	}

	tests := []struct {
		name          string
		requestTarget string
		headers       []string
	}{
		{"one 64 KiB header", "/tp/services/transaction",
			[]string{auth, "X-Pad: " + strings.Repeat("a", size)}},
		{"two thousand small headers", "/tp/services/transaction", append([]string{auth}, manyHeaders...)},
		{"64 KiB cookie", "/tp/services/transaction",
			[]string{auth, "Cookie: c=" + strings.Repeat("c", size)}},
		{"64 KiB bearer token", "/tp/services/transaction",
			[]string{"Authorization: Bearer " + client.Token + strings.Repeat("t", size)}},
		{"64 KiB content type", "/tp/services/transaction",
			[]string{auth, "Content-Type: application/json; x=" + strings.Repeat("j", size)}},
		{"64 KiB request target", "/tp/services/transaction?pad=" + strings.Repeat("q", size),
			[]string{auth}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			headers := append([]string{"Content-Type: application/json"}, tt.headers...)
			request := rawRequest(http.MethodPost, tt.requestTarget, host, headers, originalExample)

			code := rawExchange(t, srv.partnerURL, request)

			t.Logf("status %d (0: closed without a response)", code)
			if code != http.StatusRequestHeaderFieldsTooLarge && code != 0 {
				t.Errorf("status = %d, want 431 or a closed connection", code)
			}
		})
	}
	t.Cleanup(func() { checkStillServing(t, srv.partnerURL, client.Token) })
}
