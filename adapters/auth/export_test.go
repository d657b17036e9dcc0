package auth

import "time"

// SetNow makes t read the time from now, so tests can move past a token's expiry.
func SetNow(t *Tokens, now func() time.Time) { t.now = now }
