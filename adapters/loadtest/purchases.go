package loadtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

const (
	// retryMemory is how many recent valid purchases a Generator keeps to resend.
	retryMemory = 4096
	// maxCustomers is how many customers a Generator keeps for returning purchases. When
	// the pool is full, a new customer replaces a random one.
	maxCustomers = 10000
	// purchaseTimeLayout is RFC 3339 with a numeric offset, which the partner API reads in
	// any merchant time zone.
	purchaseTimeLayout = "2006-01-02T15:04:05-07:00"
)

// Mix sets the shares of the kinds of purchase a Generator makes. Each share is a
// probability from 0 to 1.
type Mix struct {
	// RetryShare is the share of purchases that resend an earlier valid purchase byte for
	// byte, as a partner does after a lost response. txsync reports them as replays once
	// the original is recorded.
	RetryShare float64 `json:"retry_share"`
	// BadShare is the share of purchases with one invalid field, which txsync rejects
	// with 400.
	BadShare float64 `json:"bad_share"`
	// ReturningShare is the share of the valid first sends that come from a customer who
	// bought earlier in this run. The others come from new customers.
	ReturningShare float64 `json:"returning_share"`
}

func (m Mix) validate() error {
	for _, share := range []struct {
		name  string
		value float64
	}{
		{"retry share", m.RetryShare},
		{"bad share", m.BadShare},
		{"returning share", m.ReturningShare},
	} {
		if !(share.value >= 0 && share.value <= 1) {
			return fmt.Errorf("%s must be 0 to 1, got %g", share.name, share.value)
		}
	}
	if m.RetryShare+m.BadShare > 1 {
		return fmt.Errorf("retry share and bad share must add up to at most 1, got %g + %g",
			m.RetryShare, m.BadShare)
	}
	return nil
}

// Sent counts the purchases a Generator made, by kind.
type Sent struct {
	// New counts valid purchases of a customer who had not bought before in this run.
	New int `json:"new"`
	// Returning counts valid purchases of a customer who had.
	Returning int `json:"returning"`
	// Retries counts resent earlier purchases.
	Retries int `json:"retries"`
	// Bad counts purchases with an invalid field.
	Bad int `json:"bad"`
}

// Total returns the number of purchases of every kind.
func (s Sent) Total() int {
	return s.New + s.Returning + s.Retries + s.Bad
}

func (s Sent) minus(earlier Sent) Sent {
	return Sent{
		New:       s.New - earlier.New,
		Returning: s.Returning - earlier.Returning,
		Retries:   s.Retries - earlier.Retries,
		Bad:       s.Bad - earlier.Bad,
	}
}

// customer is a buyer a Generator made up, with the profile it sends.
type customer struct {
	identifier     string
	identifierType int // 1 WeChat openid, 2 Alipay user id, 3 phone number
	nickName       string
	gender         int
	city           string
}

// purchase is the JSON body of one purchase, as the partner API reads it.
type purchase struct {
	TransactionID      string  `json:"transaction_id"`
	CustomerIdentifier string  `json:"customer_identifier"`
	IdentifierType     int     `json:"identifier_type"`
	PurchaseTime       string  `json:"purchase_time"`
	PurchaseAmount     float64 `json:"purchase_amount"`
	CouponAmount       float64 `json:"coupon_amount,omitempty"`
	Gender             int     `json:"gender"`
	NickName           string  `json:"customer_nick_name,omitempty"`
	Country            string  `json:"customer_country,omitempty"`
	City               string  `json:"customer_city,omitempty"`
}

var cities = []string{"深圳", "广州", "上海", "北京", "杭州", "成都"}

// Generator makes purchase bodies in the shares of a Mix. It is safe for concurrent use.
// One seed gives one sequence of kinds, customers and amounts; purchase times are the
// time of the call.
type Generator struct {
	mix Mix
	now func() time.Time

	mu        sync.Mutex
	rng       *rand.Rand
	seq       int
	customers []customer
	recent    [][]byte // ring of recent valid bodies, the candidates for retries
	sent      Sent
}

// NewGenerator returns a generator of purchases in the shares of mix.
func NewGenerator(mix Mix, seed uint64) *Generator {
	return &Generator{
		mix: mix,
		now: time.Now,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

// Sent returns the number of purchases made so far, by kind.
func (g *Generator) Sent() Sent {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sent
}

// Next returns the JSON body of one purchase.
func (g *Generator) Next() ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()

	draw := g.rng.Float64()
	switch {
	case draw < g.mix.BadShare:
		g.sent.Bad++
		return marshal(g.badPurchase())
	case draw < g.mix.BadShare+g.mix.RetryShare && len(g.recent) > 0:
		g.sent.Retries++
		return g.recent[g.rng.IntN(len(g.recent))], nil
	}

	body, err := marshal(g.validPurchase())
	if err != nil {
		return nil, err
	}
	if len(g.recent) < retryMemory {
		g.recent = append(g.recent, body)
	} else {
		g.recent[g.rng.IntN(retryMemory)] = body
	}
	return body, nil
}

// NextBatch returns the JSON body of a batch request with size purchases.
func (g *Generator) NextBatch(size int) ([]byte, error) {
	body := []byte(`{"transactions":[`)
	for i := range size {
		if i > 0 {
			body = append(body, ',')
		}
		item, err := g.Next()
		if err != nil {
			return nil, err
		}
		body = append(body, item...)
	}
	return append(body, "]}"...), nil
}

// validPurchase makes a purchase of a returning or a new customer. The caller holds mu.
func (g *Generator) validPurchase() purchase {
	var c customer
	if len(g.customers) > 0 && g.rng.Float64() < g.mix.ReturningShare {
		g.sent.Returning++
		c = g.customers[g.rng.IntN(len(g.customers))]
	} else {
		g.sent.New++
		c = g.newCustomer()
	}

	g.seq++
	fen := 100 + g.rng.IntN(99_900) // 1.00 to 999.99 yuan
	p := purchase{
		TransactionID:      "bench-" + strconv.Itoa(g.seq),
		CustomerIdentifier: c.identifier,
		IdentifierType:     c.identifierType,
		PurchaseTime:       g.now().Format(purchaseTimeLayout),
		PurchaseAmount:     yuan(fen),
		Gender:             c.gender,
		NickName:           c.nickName,
		Country:            "中国",
		City:               c.city,
	}
	if g.rng.IntN(5) == 0 {
		p.CouponAmount = yuan(g.rng.IntN(fen/2 + 1))
	}
	return p
}

// newCustomer makes up a customer and adds it to the pool. The caller holds mu.
func (g *Generator) newCustomer() customer {
	n := g.sent.New // counts this customer already, so identifiers stay unique
	c := customer{
		identifierType: 1 + g.rng.IntN(3),
		nickName:       "buyer " + strconv.Itoa(n),
		gender:         g.rng.IntN(3),
		city:           cities[g.rng.IntN(len(cities))],
	}
	switch c.identifierType {
	case 1:
		c.identifier = fmt.Sprintf("o-bench-%08d", n)
	case 2:
		c.identifier = fmt.Sprintf("2088%012d", n)
	default:
		// Mobile numbers with the prefixes 135 to 139 are valid Chinese numbers.
		c.identifier = fmt.Sprintf("13%d%08d", 5+n%5, n/5%100_000_000)
	}

	if len(g.customers) < maxCustomers {
		g.customers = append(g.customers, c)
	} else {
		g.customers[g.rng.IntN(maxCustomers)] = c
	}
	return c
}

// badPurchase makes a purchase with one field the partner API rejects with 400. The
// caller holds mu.
func (g *Generator) badPurchase() purchase {
	g.seq++
	p := purchase{
		TransactionID:      "bench-" + strconv.Itoa(g.seq),
		CustomerIdentifier: fmt.Sprintf("o-bench-bad-%08d", g.seq),
		IdentifierType:     1,
		PurchaseTime:       g.now().Format(purchaseTimeLayout),
		PurchaseAmount:     12.3,
	}
	switch g.rng.IntN(3) {
	case 0:
		p.PurchaseAmount = -12.3 // amounts must not be negative
	case 1:
		p.PurchaseAmount = 12.305 // amounts have at most 2 decimals
	default:
		p.IdentifierType = 9 // only 1, 2 and 3 exist
	}
	return p
}

func marshal(p purchase) ([]byte, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode purchase %s: %w", p.TransactionID, err)
	}
	return body, nil
}

// yuan converts an amount in fen to yuan. encoding/json writes the shortest decimal that
// reads back as the same float64, so the JSON number has at most 2 decimals.
func yuan(fen int) float64 {
	return float64(fen) / 100
}
