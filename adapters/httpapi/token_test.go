package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/txsync/txsync/bootstrap/servicetest"
)

func TestIssueToken(t *testing.T) {
	t.Parallel()
	svc := servicetest.New(t, nil)
	client := servicetest.NewClient(t, svc, "m1")
	app := svc.PartnerAPI()

	form := func(values url.Values) string { return values.Encode() }
	tests := []struct {
		name        string
		contentType string
		body        string
		basic       [2]string
		wantCode    int
		wantError   string
	}{
		{"basic credentials", "application/x-www-form-urlencoded",
			form(url.Values{"grant_type": {"client_credentials"}}), [2]string{client.ID, client.Secret}, 200, ""},
		{"form credentials", "application/x-www-form-urlencoded",
			form(url.Values{"grant_type": {"client_credentials"}, "client_id": {client.ID}, "client_secret": {client.Secret}}),
			[2]string{}, 200, ""},
		{"wrong secret", "application/x-www-form-urlencoded",
			form(url.Values{"grant_type": {"client_credentials"}}), [2]string{client.ID, "wrong"}, 401, "invalid_client"},
		{"unknown client", "application/x-www-form-urlencoded",
			form(url.Values{"grant_type": {"client_credentials"}}), [2]string{"nobody", client.Secret}, 401, "invalid_client"},
		{"no credentials", "application/x-www-form-urlencoded",
			form(url.Values{"grant_type": {"client_credentials"}}), [2]string{}, 401, "invalid_client"},
		{"password grant", "application/x-www-form-urlencoded",
			form(url.Values{"grant_type": {"password"}}), [2]string{client.ID, client.Secret}, 400, "unsupported_grant_type"},
		{"missing grant", "application/x-www-form-urlencoded", "", [2]string{client.ID, client.Secret}, 400, "invalid_request"},
		{"JSON body", "application/json", `{"grant_type":"client_credentials"}`,
			[2]string{client.ID, client.Secret}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/tp/oauth/token", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			if tt.basic[0] != "" {
				req.SetBasicAuth(tt.basic[0], tt.basic[1])
			}
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var body struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				ExpiresIn   int    `json:"expires_in"`
				Error       string `json:"error"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, raw)
			}

			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.wantCode, raw)
			}
			if body.Error != tt.wantError {
				t.Errorf("error = %q, want %q", body.Error, tt.wantError)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if tt.wantCode != http.StatusOK {
				return
			}
			if body.TokenType != "bearer" || body.ExpiresIn != 7200 || body.AccessToken == "" {
				t.Errorf("token = %+v, want a bearer token that expires in 7200 s", body)
			}
			r := postPurchase(t, app, body.AccessToken, `{`+valid+`}`)
			if r.Code != http.StatusOK {
				t.Errorf("purchase with the new token: status = %d, want 200: %s", r.Code, r.Raw)
			}
		})
	}
}
