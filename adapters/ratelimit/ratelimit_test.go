package ratelimit

import (
	"bytes"
	"testing"
	"time"
	"unsafe"

	"github.com/txsync/txsync/domain/partner"
)

// newAt returns a limiter whose clock the test moves.
func newAt(defaults partner.RateLimit, override func(string) (partner.RateLimit, bool)) (*Limiter, *time.Time) {
	l := New(defaults, override)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	return l, &now
}

func TestLimiter_Allow_drainsAndRefills(t *testing.T) {
	t.Parallel()
	l, now := newAt(partner.RateLimit{PerSecond: 2, Burst: 3}, nil)

	for i, wantRemaining := range []int{2, 1, 0} {
		d := l.Allow("c1", 1)
		if !d.Allowed || d.Remaining != wantRemaining || d.Limit != 3 {
			t.Errorf("request %d: %+v, want allowed with %d remaining of 3", i, d, wantRemaining)
		}
	}
	denied := l.Allow("c1", 1)
	if denied.Allowed {
		t.Fatalf("fourth request allowed, want denied")
	}
	if denied.RetryAfter != time.Second {
		t.Errorf("RetryAfter = %s, want 1s (half a second, rounded up)", denied.RetryAfter)
	}
	if denied.Reset != 2*time.Second {
		t.Errorf("Reset = %s, want 2s for 3 units at 2 per second", denied.Reset)
	}

	*now = now.Add(500 * time.Millisecond)
	if d := l.Allow("c1", 1); !d.Allowed {
		t.Errorf("after half a second: denied, want one unit back")
	}
	if d := l.Allow("c2", 1); !d.Allowed || d.Remaining != 2 {
		t.Errorf("another key: %+v, want its own full bucket", d)
	}
}

func TestLimiter_Allow_costAndOverride(t *testing.T) {
	t.Parallel()
	own := partner.RateLimit{PerSecond: 100, Burst: 500}
	l, _ := newAt(partner.RateLimit{PerSecond: 1, Burst: 10}, func(key string) (partner.RateLimit, bool) {
		return own, key == "big"
	})

	if d := l.Allow("big", 400); !d.Allowed || d.Remaining != 100 || d.Limit != 500 {
		t.Errorf("override: %+v, want 400 of 500 taken", d)
	}
	if d := l.Allow("small", 11); !d.Allowed || d.Remaining != 0 {
		t.Errorf("cost above the burst: %+v, want the full bucket taken", d)
	}
	if d := l.Allow("small", 1); d.Allowed {
		t.Errorf("empty bucket: allowed, want denied")
	}
}

func TestLimiter_dropsFullBuckets(t *testing.T) {
	t.Parallel()
	l, now := newAt(partner.RateLimit{PerSecond: 1000, Burst: 1}, nil)
	for i := range maxIdleKeys {
		l.Allow(string(rune(i)), 1)
	}
	*now = now.Add(time.Second)
	l.Allow("one more", 1)

	if n := len(l.buckets); n != 1 {
		t.Errorf("%d buckets kept, want 1: the refilled ones are dropped", n)
	}
}

// TestLimiter_keyBytesReused checks that the limiter keeps its own copy of a key: Fiber
// hands over request values whose bytes it reuses for the next request.
func TestLimiter_keyBytesReused(t *testing.T) {
	t.Parallel()
	l, _ := newAt(partner.RateLimit{PerSecond: 1, Burst: 1}, nil)
	buf := bytes.Clone([]byte("client-a")) // on the heap, as a request buffer is
	key := unsafe.String(&buf[0], len(buf))

	if d := l.Allow(key, 1); !d.Allowed {
		t.Fatalf("first request of client-a denied")
	}
	copy(buf, "client-b") // the next request reuses the buffer

	if d := l.Allow("client-a", 1); d.Allowed {
		t.Errorf("second request of client-a allowed, want denied: its bucket is empty")
	}
	if d := l.Allow("client-b", 1); !d.Allowed {
		t.Errorf("first request of client-b denied, want its own full bucket")
	}
}
