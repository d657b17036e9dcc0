package hostile_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/txsync/txsync/adapters/auth"
	"github.com/txsync/txsync/adapters/mongostore"
	"github.com/txsync/txsync/bootstrap/servicetest"
	"github.com/txsync/txsync/domain/partner"
)

// signingKey reads the token signing key from the embedded store that a running txsync
// with data folder dataDir advertises, as an attacker who stole it would have it.
func signingKey(t *testing.T, dataDir string) []byte {
	t.Helper()
	uri, err := os.ReadFile(filepath.Join(dataDir, "store.uri"))
	if err != nil {
		t.Fatalf("read the embedded store's address: %v", err)
	}
	store, err := mongostore.Connect(string(uri), mongostore.Options{
		Database: "txsync",
		Timeout:  10 * time.Second,
	})
	if err != nil {
		t.Fatalf("connect to the embedded store: %v", err)
	}
	defer store.Close(context.Background()) // read-only use; a close error changes nothing

	key, err := store.TokenSigningKey(t.Context())
	if err != nil {
		t.Fatalf("read the token signing key: %v", err)
	}
	return key
}

// tokenClaims are the claims of a txsync access token, for crafting tokens by hand.
type tokenClaims struct {
	jwt.RegisteredClaims
	MerchantID string `json:"mid"`
}

// craft signs claims with method and key.
func craft(t *testing.T, method jwt.SigningMethod, key any, claims tokenClaims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s token: %v", method.Alg(), err)
	}
	return token
}

// withPayload returns token with its payload segment replaced by the JSON of payload,
// keeping the original header and signature.
func withPayload(t *testing.T, token string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode token payload: %v", err)
	}
	var payload map[string]any
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatalf("decode token payload: %v", err)
	}
	edit(payload)
	edited, err := json.Marshal(payload)
	if err != nil {
		t.Fatalf("encode token payload: %v", err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(edited)
	return strings.Join(parts, ".")
}

// unsigned returns a token with header alg and the given claims and no signature.
func unsigned(t *testing.T, alg string, claims tokenClaims) string {
	t.Helper()
	header, err := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	if err != nil {
		t.Fatalf("encode header: %v", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("encode claims: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(header) + "." +
		base64.RawURLEncoding.EncodeToString(payload) + "."
}

func TestTokens_forgedTokensGet401(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	srv := serve(t, map[string]string{"TXSYNC_DATA_DIR": dataDir})
	client := servicetest.NewClient(t, srv.svc, "m1")
	key := signingKey(t, dataDir)

	now := time.Now()
	claims := func(expires time.Time) tokenClaims {
		return tokenClaims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer:    "txsync",
				Subject:   client.ID,
				IssuedAt:  jwt.NewNumericDate(expires.Add(-2 * time.Hour)),
				ExpiresAt: jwt.NewNumericDate(expires),
			},
			MerchantID: "m1",
		}
	}
	valid := claims(now.Add(time.Hour))
	signature := strings.Split(client.Token, ".")[2]
	// The first character of a segment carries 6 bits of the signature, all of them used.
	flipped := "A" + signature[1:]
	if signature[0] == 'A' {
		flipped = "B" + signature[1:]
	}
	principal := partner.Principal{ClientID: client.ID, MerchantID: "m1"}
	otherKey, err := auth.NewTokens([]byte("a key txsync never used")).
		Encode(principal, now, now.Add(time.Hour))
	if err != nil {
		t.Fatalf("sign with another key: %v", err)
	}
	noIssuer := valid
	noIssuer.Issuer = "someone-else"
	noMerchant := valid
	noMerchant.MerchantID = ""
	noExpiry := valid
	noExpiry.ExpiresAt = nil

	// The control: a token crafted with the real key and valid claims works, so the cases
	// below fail for the one thing each changes.
	control := craft(t, jwt.SigningMethodHS256, key, valid)
	if r := postPurchase(t, srv.partnerURL, control, originalExample); r.Code != http.StatusOK {
		t.Fatalf("crafted valid token: status = %d, want 200: %s", r.Code, r.Raw)
	}

	tests := []struct {
		name  string
		token string
	}{
		{"payload names another merchant", withPayload(t, client.Token, func(p map[string]any) {
			p["mid"] = "m2"
		})},
		{"payload expiry extended", withPayload(t, client.Token, func(p map[string]any) {
			p["exp"] = now.Add(1000 * time.Hour).Unix()
		})},
		{"signature changed", strings.TrimSuffix(client.Token, signature) + flipped},
		{"signature removed", strings.TrimSuffix(client.Token, signature)},
		{"signed with another key", otherKey},
		{"expired a minute ago", craft(t, jwt.SigningMethodHS256, key, claims(now.Add(-time.Minute)))},
		{"expired a day ago", craft(t, jwt.SigningMethodHS256, key, claims(now.Add(-24*time.Hour)))},
		{"without expiry", craft(t, jwt.SigningMethodHS256, key, noExpiry)},
		{"another issuer", craft(t, jwt.SigningMethodHS256, key, noIssuer)},
		{"without merchant", craft(t, jwt.SigningMethodHS256, key, noMerchant)},
		{"HS512 with the real key", craft(t, jwt.SigningMethodHS512, key, valid)},
		{"alg none", craft(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid)},
		{"alg None by hand", unsigned(t, "None", valid)},
		{"alg NONE by hand", unsigned(t, "NONE", valid)},
		{"alg none without the last dot", strings.TrimSuffix(unsigned(t, "none", valid), ".")},
		{"not a JWT", "not-a-token"},
		{"three empty segments", ".."},
		{"the client secret", client.Secret},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := "forged-" + strconv.Itoa(i)
			body := strings.Replace(originalExample, "12345wefr23r", id, 1)

			r := postPurchase(t, srv.partnerURL, tt.token, body)

			if r.Code != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401: %s", r.Code, r.Raw)
			}
			if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
			}
			if r.Status.Code != "401" {
				t.Errorf("status.code = %q, want 401", r.Status.Code)
			}
			read := getWithToken(t, srv.partnerURL, client.Token, "/tp/services/transaction",
				url.Values{"transaction_id": {id}})
			if read.Code != http.StatusNotFound {
				t.Errorf("read of %s after the rejected write: status = %d, want 404: %s",
					id, read.Code, read.Raw)
			}
		})
	}
}

func TestTokens_malformedAuthorizationGets401(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	client := servicetest.NewClient(t, srv.svc, "m1")

	for _, authorization := range []string{
		"",
		"Bearer",
		"Bearer ",
		"Basic " + base64.StdEncoding.EncodeToString([]byte(client.ID+":"+client.Secret)),
		"Token " + client.Token,
		client.Token,
		"Bearer " + client.Token + "x",
		"Bearer " + client.Token + " " + client.Token,
	} {
		r := send(t, http.MethodGet,
			srv.partnerURL+"/tp/services/customer?identifier_type=1&customer_identifier=x",
			authorization, "", nil)
		if r.Code != http.StatusUnauthorized {
			t.Errorf("Authorization %.30q...: status = %d, want 401: %s", authorization, r.Code, r.Raw)
		}
	}
}

// customerResult is the part of a customer read-back the isolation test compares.
type customerResult struct {
	CustomerID string `json:"customer_id"`
	Profile    struct {
		NickName string `json:"customer_nick_name"`
	} `json:"profile"`
	Totals struct {
		TransactionCount int     `json:"transaction_count"`
		PurchaseAmount   float64 `json:"purchase_amount"`
	} `json:"totals"`
}

// purchaseResult is the part of a record or read-back result the isolation test compares.
type purchaseResult struct {
	TransactionID  int64   `json:"transaction_id"`
	CustomerID     string  `json:"customer_id"`
	PurchaseAmount float64 `json:"purchase_amount"`
	Replayed       bool    `json:"replayed"`
}

// decodeResult decodes the result of a 200 reply into v.
func decodeResult(t *testing.T, r reply, v any) {
	t.Helper()
	if r.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", r.Code, r.Raw)
	}
	if err := json.Unmarshal(r.Result, v); err != nil {
		t.Fatalf("decode result: %v: %s", err, r.Raw)
	}
}

func TestMerchants_tokenReachesOnlyItsMerchant(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	mallory := servicetest.NewClient(t, srv.svc, "m1")
	malloryTill2 := servicetest.NewClient(t, srv.svc, "m1")
	victim := servicetest.NewClient(t, srv.svc, "m2")
	customerQuery := url.Values{"identifier_type": {"3"}, "customer_identifier": {"13592619028"}}

	var victimPurchase purchaseResult
	decodeResult(t, postPurchase(t, srv.partnerURL, victim.Token, originalExample), &victimPurchase)
	platformID := strconv.FormatInt(victimPurchase.TransactionID, 10)

	// Reads of the victim's data by the other merchant's client get 404.
	for name, read := range map[string]struct {
		path  string
		query url.Values
	}{
		"purchase by partner id": {"/tp/services/transaction",
			url.Values{"transaction_id": {"12345wefr23r"}}},
		"purchase by platform id": {"/tp/services/transaction",
			url.Values{"platform_transaction_id": {platformID}}},
		"customer":             {"/tp/services/customer", customerQuery},
		"customer's purchases": {"/tp/services/customer/transactions", customerQuery},
	} {
		r := getWithToken(t, srv.partnerURL, mallory.Token, read.path, read.query)
		if r.Code != http.StatusNotFound {
			t.Errorf("%s: status = %d, want 404: %s", name, r.Code, r.Raw)
		}
		if strings.Contains(r.Raw, "ethan") || strings.Contains(r.Raw, victimPurchase.CustomerID) {
			t.Errorf("%s: reply shows the victim's data: %s", name, r.Raw)
		}
	}

	// The same transaction id and customer, written by the other merchant, land in its own
	// data: a new purchase, not a 409 that would reveal the victim's one.
	forged := strings.NewReplacer(`14.1`, `99`, `"ethan"`, `"mallory"`).Replace(originalExample)
	var own purchaseResult
	decodeResult(t, postPurchase(t, srv.partnerURL, mallory.Token, forged), &own)
	if own.Replayed || own.TransactionID == victimPurchase.TransactionID {
		t.Errorf("write by m1 = %+v, want a new purchase, not the victim's %d",
			own, victimPurchase.TransactionID)
	}
	if own.CustomerID == victimPurchase.CustomerID {
		t.Errorf("write by m1 has customer_id %s, the victim merchant's customer", own.CustomerID)
	}

	var victimCustomer customerResult
	decodeResult(t, getWithToken(t, srv.partnerURL, victim.Token, "/tp/services/customer", customerQuery),
		&victimCustomer)
	if victimCustomer.Profile.NickName != "ethan" || victimCustomer.Totals.TransactionCount != 1 ||
		victimCustomer.Totals.PurchaseAmount != 14.1 {
		t.Errorf("victim's customer = %+v, want nick ethan, 1 purchase, 14.10 in total", victimCustomer)
	}
	var victimRead purchaseResult
	decodeResult(t, getWithToken(t, srv.partnerURL, victim.Token, "/tp/services/transaction",
		url.Values{"transaction_id": {"12345wefr23r"}}), &victimRead)
	if victimRead.PurchaseAmount != 14.1 || victimRead.TransactionID != victimPurchase.TransactionID {
		t.Errorf("victim's purchase = %+v, want %d with 14.10", victimRead, victimPurchase.TransactionID)
	}

	// Another till of merchant m1 reads m1's customer, so the 404s above come from the
	// merchant boundary and not from the client.
	var ownCustomer customerResult
	decodeResult(t, getWithToken(t, srv.partnerURL, malloryTill2.Token, "/tp/services/customer",
		customerQuery), &ownCustomer)
	if ownCustomer.CustomerID != own.CustomerID || ownCustomer.Profile.NickName != "mallory" {
		t.Errorf("m1's customer = %+v, want %s with nick mallory", ownCustomer, own.CustomerID)
	}
}
