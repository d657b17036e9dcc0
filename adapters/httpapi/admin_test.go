package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

func adminRequest(t *testing.T, admin *fiber.App, method, path, token, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := admin.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp.StatusCode, string(raw)
}

func TestAdminAPI_clientLifecycle(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	admin := svc.AdminAPI()
	token := svc.AdminToken()

	code, raw := adminRequest(t, admin, "POST", "/admin/clients", token, `{"merchant":"m1","name":"till 7"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: status = %d, want 201: %s", code, raw)
	}
	var created struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Merchant     string `json:"merchant"`
	}
	if err := json.Unmarshal([]byte(raw), &created); err != nil {
		t.Fatal(err)
	}
	if created.ClientID == "" || created.ClientSecret == "" || created.Merchant != "m1" {
		t.Errorf("created = %+v, want an id, a secret and merchant m1", created)
	}

	code, raw = adminRequest(t, admin, "GET", "/admin/clients", token, "")
	if code != http.StatusOK {
		t.Fatalf("list: status = %d, want 200: %s", code, raw)
	}
	if !strings.Contains(raw, created.ClientID) {
		t.Errorf("list = %s, want it to contain %s", raw, created.ClientID)
	}
	if strings.Contains(raw, created.ClientSecret) || strings.Contains(raw, "secret") {
		t.Errorf("list = %s, want no secrets in it", raw)
	}

	code, raw = adminRequest(t, admin, "POST", "/admin/clients/"+created.ClientID+"/disable", token, "")
	if code != http.StatusOK {
		t.Fatalf("disable: status = %d, want 200: %s", code, raw)
	}
	code, _ = adminRequest(t, admin, "POST", "/admin/clients/no-such-client/disable", token, "")
	if code != http.StatusNotFound {
		t.Errorf("disable unknown: status = %d, want 404", code)
	}
}

func TestAdminAPI_rejects(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	token := svc.AdminToken()

	tests := []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"no token", "GET", "/admin/clients", "", "", 401},
		{"wrong token", "GET", "/admin/clients", "guess", "", 401},
		{"partner token", "POST", "/admin/clients", "eyJhbGciOiJIUzI1NiJ9.e30.x", `{"merchant":"m","name":"n"}`, 401},
		{"missing merchant", "POST", "/admin/clients", token, `{"name":"n"}`, 400},
		{"not JSON", "POST", "/admin/clients", token, `merchant=m`, 400},
		{"unknown path", "GET", "/admin/nothing", token, "", 404},
		{"profile without token", "GET", "/admin/debug/pprof/", "", "", 401},
		{"profile index", "GET", "/admin/debug/pprof/", token, "", 200},
		{"heap profile", "GET", "/admin/debug/pprof/heap", token, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, raw := adminRequest(t, svc.AdminAPI(), tt.method, tt.path, tt.token, tt.body)
			if code != tt.want {
				t.Errorf("status = %d, want %d: %s", code, tt.want, raw)
			}
		})
	}
}
