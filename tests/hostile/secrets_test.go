package hostile_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/txsync/txsync/bootstrap"
	"github.com/txsync/txsync/bootstrap/servicetest"
)

// secret is a value that must not leave txsync except in the one reply that hands it out.
type secret struct {
	name, value string
}

// findSecrets returns the names of the secrets that text contains.
func findSecrets(text string, secrets []secret) []string {
	var found []string
	for _, s := range secrets {
		if s.value != "" && strings.Contains(text, s.value) {
			found = append(found, s.name)
		}
	}
	return found
}

// spanText returns everything a span exports as text: its name, attributes, events with
// their attributes, status description, links and resource.
func spanText(s sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	b.WriteString(s.Name())
	for _, a := range s.Attributes() {
		b.WriteString(" " + string(a.Key) + "=" + a.Value.Emit())
	}
	for _, e := range s.Events() {
		b.WriteString(" event " + e.Name)
		for _, a := range e.Attributes {
			b.WriteString(" " + string(a.Key) + "=" + a.Value.Emit())
		}
	}
	b.WriteString(" status " + s.Status().Description)
	for _, l := range s.Links() {
		for _, a := range l.Attributes {
			b.WriteString(" link " + string(a.Key) + "=" + a.Value.Emit())
		}
	}
	for _, a := range s.Resource().Attributes() {
		b.WriteString(" resource " + string(a.Key) + "=" + a.Value.Emit())
	}
	return b.String()
}

func TestSecrets_neverInLogsSpansOrReplies(t *testing.T) {
	t.Parallel()
	var logs servicetest.Buffer
	recorder := tracetest.NewSpanRecorder()
	dataDir := t.TempDir()
	// No TXSYNC_ADMIN_TOKEN: txsync generates one, and must not log it either.
	cfg, err := bootstrap.LoadConfigFrom(map[string]string{
		"TXSYNC_DATA_DIR":      dataDir,
		"TXSYNC_BCRYPT_COST":   "4",
		"TXSYNC_LOG_LEVEL":     "debug",
		"TXSYNC_STORE_TIMEOUT": "10s",
	})
	if err != nil {
		t.Fatalf("load configuration: %v", err)
	}
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := bootstrap.New(context.Background(), cfg, logger, bootstrap.WithSpanProcessor(recorder))
	if err != nil {
		t.Fatalf("start txsync: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(context.Background()); err != nil {
			t.Errorf("close txsync: %v", err)
		}
	})
	partnerURL, adminURL := servicetest.Serve(t, svc)
	admin := "Bearer " + svc.AdminToken()

	// The replies that hand out a secret are the only ones allowed to contain it.
	created := send(t, http.MethodPost, adminURL+"/admin/clients", admin, "application/json",
		[]byte(`{"merchant":"m1","name":"till 1"}`))
	var client struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(created.Raw), &client); err != nil || client.Secret == "" {
		t.Fatalf("create client: status %d, %v: %s", created.Code, err, created.Raw)
	}
	issued := requestToken(t, partnerURL, client.ID, client.Secret)
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(issued.Raw), &token); err != nil || token.AccessToken == "" {
		t.Fatalf("request token: status %d, %v: %s", issued.Code, err, issued.Raw)
	}

	wrongSecret := client.Secret[:len(client.Secret)-4] + "XXXX"
	secrets := []secret{
		{"client secret", client.Secret},
		{"wrong secret", wrongSecret},
		{"basic credentials", base64.StdEncoding.EncodeToString([]byte(client.ID + ":" + client.Secret))},
		{"access token", token.AccessToken},
		{"access token signature", token.AccessToken[strings.LastIndex(token.AccessToken, ".")+1:]},
		{"admin token", svc.AdminToken()},
		{"token signing key", string(signingKey(t, dataDir))},
	}

	bearer := "Bearer " + token.AccessToken
	purchase := strings.Replace(originalExample, "12345wefr23r", "secrets-1", 1)
	form := func(values url.Values) []byte { return []byte(values.Encode()) }
	requests := []struct {
		name, method, url, authorization, contentType string
		body                                          []byte
	}{
		{"token with wrong basic secret", http.MethodPost, partnerURL + "/tp/oauth/token",
			"Basic " + base64.StdEncoding.EncodeToString([]byte(client.ID+":"+wrongSecret)),
			"application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"}})},
		{"token with wrong form secret", http.MethodPost, partnerURL + "/tp/oauth/token", "",
			"application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"},
				"client_id": {client.ID}, "client_secret": {wrongSecret}})},
		{"token with wrong grant", http.MethodPost, partnerURL + "/tp/oauth/token", "",
			"application/x-www-form-urlencoded", form(url.Values{"grant_type": {"password"},
				"client_id": {client.ID}, "client_secret": {client.Secret}})},
		{"token as JSON", http.MethodPost, partnerURL + "/tp/oauth/token", "", "application/json",
			[]byte(`{"client_id":"` + client.ID + `","client_secret":"` + client.Secret + `"}`)},
		{"purchase", http.MethodPost, partnerURL + "/tp/services/transaction", bearer,
			"application/json", []byte(purchase)},
		{"replayed purchase", http.MethodPost, partnerURL + "/tp/services/transaction", bearer,
			"application/json", []byte(purchase)},
		{"conflicting purchase", http.MethodPost, partnerURL + "/tp/services/transaction", bearer,
			"application/json", []byte(strings.Replace(purchase, "14.1", "15", 1))},
		{"broken purchase", http.MethodPost, partnerURL + "/tp/services/transaction", bearer,
			"application/json", []byte(`{"transaction_id":"secrets-2","purchase_amount":-1}`)},
		{"dry run", http.MethodPost, partnerURL + "/tp/services/transaction?dry_run=true", bearer,
			"application/json", []byte(purchase)},
		{"batch", http.MethodPost, partnerURL + "/tp/services/transactions", bearer,
			"application/json", []byte(`{"transactions":[` + purchase + `,{}]}`)},
		{"read back", http.MethodGet, partnerURL + "/tp/services/transaction?transaction_id=secrets-1",
			bearer, "", nil},
		{"customer", http.MethodGet, partnerURL +
			"/tp/services/customer?identifier_type=3&customer_identifier=13592619028", bearer, "", nil},
		{"tampered token", http.MethodPost, partnerURL + "/tp/services/transaction", bearer + "x",
			"application/json", []byte(purchase)},
		{"token in the query string", http.MethodGet, partnerURL +
			"/tp/services/transaction?transaction_id=secrets-1&access_token=" + token.AccessToken,
			"", "", nil},
		{"secret as bearer token", http.MethodGet, partnerURL + "/tp/services/customer",
			"Bearer " + client.Secret, "", nil},
		{"unknown path", http.MethodGet, partnerURL + "/tp/services/nothing", bearer, "", nil},
		{"list clients", http.MethodGet, adminURL + "/admin/clients", admin, "", nil},
		{"admin with access token", http.MethodGet, adminURL + "/admin/clients", bearer, "", nil},
		{"admin with client secret", http.MethodPost, adminURL + "/admin/clients",
			"Bearer " + client.Secret, "application/json", []byte(`{"merchant":"m1","name":"x"}`)},
		{"metrics", http.MethodGet, adminURL + "/metrics", "", "", nil},
		{"health", http.MethodGet, partnerURL + "/readyz", "", "", nil},
	}
	for _, r := range requests {
		reply := send(t, r.method, r.url, r.authorization, r.contentType, r.body)
		if found := findSecrets(reply.Raw, secrets); len(found) > 0 {
			t.Errorf("%s: reply (status %d) contains %v: %.300s", r.name, reply.Code, found, reply.Raw)
		}
		for name, values := range reply.Header {
			if found := findSecrets(strings.Join(values, " "), secrets); len(found) > 0 {
				t.Errorf("%s: reply header %s contains %v", r.name, name, found)
			}
		}
	}

	// txsync writes a request's log line and ends its span before it sends the reply, so
	// all of them are in by now.
	logText := logs.String()
	if !strings.Contains(logText, client.ID) || strings.Count(logText, `"msg":"request"`) < len(requests) {
		t.Fatalf("logs do not show the requests of client %s, so the check below would prove nothing:\n%s",
			client.ID, logText)
	}
	for i, line := range strings.Split(logText, "\n") {
		if found := findSecrets(line, secrets); len(found) > 0 {
			t.Errorf("log line %d contains %v: %s", i+1, found, line)
		}
	}
	spans := recorder.Ended()
	if len(spans) < len(requests) {
		t.Fatalf("recorded %d spans, want at least one per request (%d)", len(spans), len(requests))
	}
	for _, s := range spans {
		text := spanText(s)
		if found := findSecrets(text, secrets); len(found) > 0 {
			t.Errorf("span %q contains %v: %s", s.Name(), found, text)
		}
	}
}
