package loadtest

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// CheckLoopbackURL returns an error unless raw is an http or https URL whose host is
// localhost or an IP address in 127.0.0.0/8 or ::1. It sends nothing.
func CheckLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http or https URL such as http://127.0.0.1:8080", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("%q must be a base URL without path, query or fragment", raw)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("host %q of %s is not a loopback address: load tests target only "+
			"127.0.0.0/8, ::1 or localhost", host, raw)
	}
	return nil
}

// CheckLoopbackAddress returns an error unless address, an IP and port as a dialer
// passes them after name resolution, is on loopback.
func CheckLoopbackAddress(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("dial %s: not a loopback address, and load tests connect only to loopback",
			address)
	}
	return nil
}

// newHTTPClient returns a client that connects only to loopback, uses no proxy, follows
// no redirect and gives up on a request after timeout. Its idle pool keeps up to
// maxIdle connections, so an attack reuses them instead of opening one per request.
func newHTTPClient(timeout time.Duration, maxIdle int) *http.Client {
	dialer := &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		// Control runs after the name is resolved and before connect, so a name that
		// resolves off loopback is rejected without a packet sent.
		Control: func(_, address string, _ syscall.RawConn) error {
			return CheckLoopbackAddress(address)
		},
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			MaxIdleConns:        maxIdle,
			MaxIdleConnsPerHost: maxIdle,
			IdleConnTimeout:     90 * time.Second,
		},
		// A redirect could lead off loopback; the response is reported as it is.
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
