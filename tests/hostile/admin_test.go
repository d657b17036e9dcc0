package hostile_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

// adminToken is the admin token of the admin tests' services.
const adminToken = "admin-token-of-the-hostile-tests"

// adminRoute is one route of the admin API with a request body it accepts.
type adminRoute struct {
	method, path, body string
}

// adminRoutes returns every route of the admin API that needs the admin token. id is a
// real client id, so a request that got through would change that client.
func adminRoutes(id string) []adminRoute {
	return []adminRoute{
		{http.MethodPost, "/admin/clients", `{"merchant":"intruder","name":"backdoor"}`},
		{http.MethodGet, "/admin/clients", ""},
		{http.MethodPost, "/admin/clients/" + id + "/disable", ""},
		{http.MethodPut, "/admin/clients/" + id + "/rate-limit", `{"per_second":1000000,"burst":1000000}`},
		{http.MethodGet, "/admin/debug/pprof/", ""},
		{http.MethodGet, "/admin/debug/pprof/cmdline", ""},
		{http.MethodGet, "/admin/debug/pprof/heap", ""},
		{http.MethodGet, "/admin/debug/pprof/goroutine?debug=2", ""},
		{http.MethodGet, "/admin/debug/pprof/profile?seconds=1", ""},
		{http.MethodGet, "/admin/debug/pprof/trace?seconds=1", ""},
	}
}

func TestAdminAPI_everyRouteNeedsTheToken(t *testing.T) {
	t.Parallel()
	srv := serve(t, map[string]string{"TXSYNC_ADMIN_TOKEN": adminToken})
	client := servicetest.NewClient(t, srv.svc, "m1")

	authorizations := map[string]string{
		"none":                 "",
		"wrong token":          "Bearer guess",
		"empty bearer":         "Bearer ",
		"token prefix":         "Bearer " + adminToken[:len(adminToken)-1],
		"token with suffix":    "Bearer " + adminToken + "x",
		"token without scheme": adminToken,
		"basic scheme":         "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+adminToken)),
		"partner token":        "Bearer " + client.Token,
		"partner secret":       "Bearer " + client.Secret,
	}
	for _, route := range adminRoutes(client.ID) {
		for name, authorization := range authorizations {
			r := send(t, route.method, srv.adminURL+route.path, authorization, "application/json",
				[]byte(route.body))
			if r.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: status = %d, want 401: %.200s",
					route.method, route.path, name, r.Code, r.Raw)
			}
			if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("%s %s with %s: WWW-Authenticate = %q, want a Bearer challenge",
					route.method, route.path, name, got)
			}
		}
	}

	checkClientUntouched(t, srv.adminURL, client.ID)
}

func TestAdminAPI_pathVariantsNeedTheToken(t *testing.T) {
	t.Parallel()
	srv := serve(t, map[string]string{"TXSYNC_ADMIN_TOKEN": adminToken})
	client := servicetest.NewClient(t, srv.svc, "m1")
	host := hostOf(t, srv.adminURL)
	create := `{"merchant":"intruder","name":"backdoor"}`

	// Spellings a router or a proxy might map to an admin route. Sent raw, so no client
	// library cleans them first. Any status but a success is fine: 401, 404, 400 or 405.
	tests := []struct {
		method, target, body string
	}{
		{http.MethodGet, "/ADMIN/clients", ""},
		{http.MethodGet, "/Admin/Clients", ""},
		{http.MethodGet, "/admin/clients/", ""},
		{http.MethodGet, "/admin//clients", ""},
		{http.MethodGet, "//admin/clients", ""},
		{http.MethodGet, "/admin/./clients", ""},
		{http.MethodGet, "/x/../admin/clients", ""},
		{http.MethodGet, "/admin/%63lients", ""},
		{http.MethodGet, "/%61dmin/clients", ""},
		{http.MethodGet, "/admin/clients;x", ""},
		{http.MethodGet, "/admin/clients%00", ""},
		{http.MethodGet, "http://" + host + "/admin/clients", ""},
		{http.MethodPost, "/ADMIN/clients", create},
		{http.MethodPost, "/admin/clients/", create},
		{http.MethodPost, "/admin//clients", create},
		{http.MethodPost, "/ADMIN/clients/" + client.ID + "/disable", ""},
		{http.MethodPost, "/admin/clients/" + client.ID + "/disable/", ""},
		{http.MethodGet, "/ADMIN/debug/pprof/cmdline", ""},
		{http.MethodGet, "/admin/DEBUG/pprof/cmdline", ""},
		{http.MethodGet, "/admin/debug/PPROF/cmdline", ""},
		{http.MethodGet, "/admin//debug/pprof/cmdline", ""},
		{http.MethodGet, "/admin/debug//pprof/cmdline", ""},
		{http.MethodGet, "/admin/debug/pprof/../pprof/cmdline", ""},
		{http.MethodGet, "/admin/debug/pprof", ""},
		{http.MethodGet, "/admin/debug/pprofx/cmdline", ""},
		{http.MethodGet, "/admin/%64ebug/pprof/cmdline", ""},
		{http.MethodHead, "/admin/clients", ""},
		{http.MethodOptions, "/admin/clients", ""},
		{"TRACE", "/admin/clients", ""},
	}
	for _, tt := range tests {
		headers := []string{"Content-Type: application/json"}
		code := rawExchange(t, srv.adminURL, rawRequest(tt.method, tt.target, host, headers, tt.body))
		t.Logf("%s %s -> %d", tt.method, tt.target, code)
		if code >= 200 && code < 300 {
			t.Errorf("%s %s without a token: status = %d, want no success", tt.method, tt.target, code)
		}
	}

	checkClientUntouched(t, srv.adminURL, client.ID)
}

// checkClientUntouched checks, with the admin token, that id is the only client and is
// neither disabled nor given its own rate limit.
func checkClientUntouched(t *testing.T, adminURL, id string) {
	t.Helper()
	r := send(t, http.MethodGet, adminURL+"/admin/clients", "Bearer "+adminToken, "", nil)
	if r.Code != http.StatusOK {
		t.Fatalf("list clients with the admin token: status = %d, want 200: %s", r.Code, r.Raw)
	}
	var list struct {
		Clients []struct {
			ClientID  string          `json:"client_id"`
			Disabled  bool            `json:"disabled"`
			RateLimit json.RawMessage `json:"rate_limit"`
		} `json:"clients"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &list); err != nil {
		t.Fatalf("decode client list: %v: %s", err, r.Raw)
	}
	if len(list.Clients) != 1 || list.Clients[0].ClientID != id {
		t.Fatalf("clients = %s, want only %s", r.Raw, id)
	}
	if c := list.Clients[0]; c.Disabled || c.RateLimit != nil {
		t.Errorf("client = %s, want it enabled with the default rate limit", r.Raw)
	}
}
