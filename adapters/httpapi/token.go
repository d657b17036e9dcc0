package httpapi

import (
	"encoding/base64"
	"errors"
	"mime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/txsync/txsync/domain/partner"
)

// tokenResponse is a successful token response (RFC 6749 section 5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// oauthError is an error response of the token endpoint (RFC 6749 section 5.2).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// issueToken implements the client credentials grant (RFC 6749 section 4.4). The client
// authenticates with HTTP Basic or with client_id and client_secret form fields.
func (h *handlers) issueToken(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")

	mediaType, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mediaType != fiber.MIMEApplicationForm {
		return sendOAuthError(c, fiber.StatusBadRequest, "invalid_request",
			"the body must be application/x-www-form-urlencoded")
	}
	if grant := c.FormValue("grant_type"); grant != "client_credentials" {
		if grant == "" {
			return sendOAuthError(c, fiber.StatusBadRequest, "invalid_request", "grant_type is required")
		}
		return sendOAuthError(c, fiber.StatusBadRequest, "unsupported_grant_type",
			"only grant_type=client_credentials is supported")
	}

	clientID, secret, basic := basicAuth(c)
	if !basic {
		clientID, secret = c.FormValue("client_id"), c.FormValue("client_secret")
	}
	if clientID == "" || secret == "" {
		if basic {
			c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="txsync"`)
		}
		return sendOAuthError(c, fiber.StatusUnauthorized, "invalid_client",
			"client credentials are required, as HTTP Basic or as client_id and client_secret")
	}

	if wait, limited := h.limitTokenRequest(c, clientID); limited {
		c.Set(fiber.HeaderRetryAfter, retryAfter(wait))
		return sendOAuthError(c, fiber.StatusTooManyRequests, "rate_limited",
			"too many token requests from this address or for this client, retry after "+retryAfter(wait)+" s")
	}

	token, err := h.cfg.Access.IssueToken(c.UserContext(), clientID, secret)
	switch {
	case errors.Is(err, partner.ErrInvalidSecret), errors.Is(err, partner.ErrClientDisabled):
		if basic {
			c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="txsync"`)
		}
		return sendOAuthError(c, fiber.StatusUnauthorized, "invalid_client",
			"the client id or secret is wrong, or the client is disabled")
	case err != nil:
		return err
	}

	return c.JSON(tokenResponse{
		AccessToken: token.Value,
		TokenType:   "bearer",
		ExpiresIn:   int64(token.ExpiresIn.Seconds()),
	})
}

func sendOAuthError(c *fiber.Ctx, code int, kind, description string) error {
	return c.Status(code).JSON(oauthError{Error: kind, Description: description})
}

// basicAuth returns the credentials of an HTTP Basic Authorization header (RFC 7617).
// Client ids and secrets txsync issues contain no characters that RFC 6749 would have
// form-encoded, so they are used as they are.
func basicAuth(c *fiber.Ctx) (user, password string, ok bool) {
	scheme, encoded, found := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !found || !strings.EqualFold(scheme, "basic") {
		return "", "", false
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(decoded), ":")
}

// limitTokenRequest charges the token request to its remote address and its client id and
// returns how long to wait when either is over its limit. The RateLimit-* headers report
// the address's bucket.
func (h *handlers) limitTokenRequest(c *fiber.Ctx, clientID string) (time.Duration, bool) {
	wait := time.Duration(0)
	if h.cfg.TokenLimitByAddress != nil {
		d := h.cfg.TokenLimitByAddress(c.IP(), 1)
		setRateHeaders(c, d)
		if !d.Allowed {
			wait = max(wait, d.RetryAfter)
		}
	}
	if h.cfg.TokenLimitByClient != nil {
		if d := h.cfg.TokenLimitByClient(clientID, 1); !d.Allowed {
			wait = max(wait, d.RetryAfter)
		}
	}
	return wait, wait > 0
}
